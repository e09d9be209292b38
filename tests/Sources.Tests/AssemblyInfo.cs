// The host is Unix-only (src/Host/AssemblyInfo.cs); its callers must say so too.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
