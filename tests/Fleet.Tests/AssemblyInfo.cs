// The fleet runs the CLI on Linux (sealed baselines are checked by Unix mode).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
