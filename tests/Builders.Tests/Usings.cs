global using Xunit;

// The host and the builders under test are Linux-only (libc, e2fsprogs, squashfs-tools-ng).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
