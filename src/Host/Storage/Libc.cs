using System.Runtime.InteropServices;

namespace ImageCache.Host.Storage;

/// <summary>The few POSIX calls .NET does not expose: flock, fsync of a directory, realpath.</summary>
internal static partial class Libc
{
    const int LOCK_SH = 1;
    const int LOCK_EX = 2;
    const int LOCK_NB = 4;
    const int O_RDONLY = 0;
    const int O_RDWR = 2;
    const int O_CREAT = 0x40;      // Linux value
    const int O_CLOEXEC = 0x80000; // Linux value: a child process (a tool we run) must not inherit a held lock
    const int O_DIRECTORY = 0x10000; // Linux value; directories opened only to fsync them

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    /// <summary>
    /// Opens (optionally creating, mode 0600) a file for locking: a raw descriptor, not a FileStream, because .NET
    /// takes a shared <c>flock</c> of its own on every file it opens, which would interfere with ours.
    /// Returns -1 when the file cannot be opened (<see cref="Marshal.GetLastPInvokeError"/> tells why).
    /// </summary>
    public static int OpenForLock(string path, bool create) =>
        open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0x180 /* 0600 */);

    /// <summary>Tries to take an exclusive advisory lock on a descriptor without blocking.</summary>
    public static bool TryLockExclusive(int fd) => flock(fd, LOCK_EX | LOCK_NB) == 0;

    /// <summary>Tries to take a shared advisory lock on a descriptor without blocking.</summary>
    public static bool TryLockShared(int fd) => flock(fd, LOCK_SH | LOCK_NB) == 0;

    /// <summary>Closes a descriptor (which releases its flock).</summary>
    public static void Close(int fd) => close(fd);

    /// <summary>Flushes a directory's entries (a rename in it) to disk. Best effort where the OS refuses.</summary>
    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = open(path, O_RDONLY | O_DIRECTORY);
        if (fd < 0) return;
        try { fsync(fd); } finally { close(fd); }
    }

    /// <summary>The path with every symlink resolved, or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var pointer = realpath(path, IntPtr.Zero);
        if (pointer == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(pointer); } finally { free(pointer); }
    }
}
