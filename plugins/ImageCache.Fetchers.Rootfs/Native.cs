using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ImageCache.Fetchers.Rootfs;

/// <summary>What <c>statx</c> says about a path without following a final symlink (lstat semantics).</summary>
internal readonly record struct FileStatus(
    int Type, int Mode, long Uid, long Gid, ulong Inode, uint DeviceMajor, uint DeviceMinor, long Size,
    DateTimeOffset ModifiedTime, uint LinkCount, int RdevMajor, int RdevMinor)
{
    public const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    /// <summary>Identity of the inode, for hard links: (device, inode).</summary>
    public (uint, uint, ulong) Identity => (DeviceMajor, DeviceMinor, Inode);
}

/// <summary>The libc calls .NET does not expose: statx without following, the l*xattr family, open with O_NOFOLLOW.</summary>
internal static partial class Native
{
    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;
    const uint STATX_BASIC_STATS = 0x7ff;
    const int O_RDONLY = 0, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000; // Linux generic values (x86-64 and arm64 agree)
    const int ENOENT = 2, ENODATA = 61, ENOTSUP = 95, ERANGE = 34;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint Llistxattr(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint Lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    /// <summary>lstat of <paramref name="path"/>; null when it does not exist.</summary>
    /// <exception cref="IOException">Any other failure.</exception>
    public static FileStatus? Lstat(string path)
    {
        // struct statx is the same on every Linux architecture (linux/stat.h): offsets below.
        Span<byte> b = stackalloc byte[256];
        int result;
        unsafe
        {
            fixed (byte* pointer = b) result = Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, pointer);
        }
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT) return null;
            throw new IOException($"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var mode = BitConverter.ToUInt16(b[28..30]);
        var seconds = BitConverter.ToInt64(b[112..120]);  // stx_mtime.tv_sec
        var nanoseconds = BitConverter.ToUInt32(b[120..124]);
        return new FileStatus(
            Type: mode & FileStatus.S_IFMT,
            Mode: mode & 0xFFF,
            Uid: BitConverter.ToUInt32(b[20..24]),
            Gid: BitConverter.ToUInt32(b[24..28]),
            Inode: BitConverter.ToUInt64(b[32..40]),
            DeviceMajor: BitConverter.ToUInt32(b[136..140]),
            DeviceMinor: BitConverter.ToUInt32(b[140..144]),
            Size: BitConverter.ToInt64(b[40..48]),
            // .NET time has 100 ns ticks: the last two digits of the nanoseconds are dropped, the same way for every input.
            ModifiedTime: DateTimeOffset.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + nanoseconds / 100),
            LinkCount: BitConverter.ToUInt32(b[16..20]),
            RdevMajor: (int)BitConverter.ToUInt32(b[128..132]),
            RdevMinor: (int)BitConverter.ToUInt32(b[132..136]));
    }

    /// <summary>Every extended attribute of <paramref name="path"/> itself (not a symlink's target), name to raw bytes.</summary>
    /// <exception cref="IOException">The attributes cannot be listed or read.</exception>
    public static Dictionary<string, byte[]> ReadXattrs(string path)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var names = Call(size => { unsafe { fixed (byte* p = size) return Llistxattr(path, p, (nuint)size.Length); } }, path, "list the extended attributes of");
        if (names is null) return result;
        var start = 0;
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] != 0) continue;
            if (i > start)
            {
                var name = Encoding.UTF8.GetString(names, start, i - start);
                var value = Call(buffer => { unsafe { fixed (byte* p = buffer) return Lgetxattr(path, name, p, (nuint)buffer.Length); } }, path, $"read extended attribute {name} of");
                if (value is not null) result[name] = value; // ENODATA: removed since it was listed
            }
            start = i + 1;
        }
        return result;
    }

    /// <summary>The usual size-then-fetch dance (retrying when the value grew in between); null when unsupported or absent.</summary>
    static byte[]? Call(Func<byte[], nint> call, string path, string what)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var size = call([]);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is ENOTSUP or ENODATA) return null;
                throw new IOException($"cannot {what} {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            if (size == 0) return [];
            var buffer = new byte[size];
            var got = call(buffer);
            if (got >= 0) return got == buffer.Length ? buffer : buffer[..(int)got];
            var error = Marshal.GetLastPInvokeError();
            if (error == ERANGE) continue;
            if (error is ENOTSUP or ENODATA) return null;
            throw new IOException($"cannot {what} {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        throw new IOException($"cannot {what} {path}: it keeps changing");
    }

    /// <summary>Opens a regular file for reading, refusing to follow a symlink put in its place since it was listed.</summary>
    public static FileStream OpenNoFollow(string path)
    {
        var fd = Open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1 << 17);
    }
}
