// ImageCache builds Linux filesystem images and relies on POSIX semantics (flock, modes, rename over files).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
