// The host is Unix-only (src/Host/AssemblyInfo.cs); its callers must say so too. The attribute allows
// repeats, so another file of this project may state the same.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
