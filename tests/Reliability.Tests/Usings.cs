global using Xunit;

// The CLI and the host rely on POSIX semantics (flock, modes, rename, SIGKILL); so do these tests.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
