using System.Runtime.InteropServices;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// Reads files of a layout the user handed us, which may be hostile (oci-rules §3.7): a file is only opened when it
/// is a regular file, not a symlink (which could point at any file the user can read) and not a FIFO or device
/// (which would block or never end).
/// </summary>
internal static partial class LayoutFiles
{
    /// <summary>The kind of a path, without following a final symlink.</summary>
    public enum Kind { Missing, Regular, Directory, Symlink, Other }

    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;
    const uint STATX_TYPE = 0x1;
    const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xA000;
    const int ENOENT = 2, ENOTDIR = 20;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>What <paramref name="path"/> is (lstat semantics).</summary>
    public static Kind KindOf(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            // struct statx is the same on every Linux architecture: stx_mode is the u16 at offset 28.
            Span<byte> buffer = stackalloc byte[256];
            int result;
            unsafe
            {
                fixed (byte* pointer = buffer) result = Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, pointer);
            }
            if (result != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is ENOENT or ENOTDIR) return Kind.Missing;
                throw new IOException($"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return (BitConverter.ToUInt16(buffer[28..30]) & S_IFMT) switch
            {
                S_IFREG => Kind.Regular,
                S_IFDIR => Kind.Directory,
                S_IFLNK => Kind.Symlink,
                _ => Kind.Other,
            };
        }

        // Elsewhere .NET can tell symlinks and directories apart but not FIFOs from files.
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return Kind.Symlink;
        if (Directory.Exists(path)) return Kind.Directory;
        return info.Exists ? Kind.Regular : Kind.Missing;
    }

    /// <summary>Opens <paramref name="path"/> for reading after checking it is a regular file.</summary>
    /// <exception cref="ImageSourceException">Missing, a symlink, or not a regular file; <paramref name="what"/> names it.</exception>
    public static FileStream OpenRegular(string path, string what)
    {
        switch (KindOf(path))
        {
            case Kind.Missing: throw new ImageSourceException($"{what} is missing ({path})");
            case Kind.Symlink: throw new ImageSourceException($"{what} is a symlink ({path}); refusing to follow symlinks in an image layout");
            case Kind.Directory:
            case Kind.Other: throw new ImageSourceException($"{what} is not a regular file ({path})");
        }
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 17,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageSourceException($"cannot read {what} ({path}): {e.Message}", e);
        }
    }

    /// <summary>Reads a small regular file whole, refusing it when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]> ReadSmallAsync(string path, string what, long limit, CancellationToken cancellationToken)
    {
        await using var stream = OpenRegular(path, what);
        if (stream.Length > limit)
            throw new ImageSourceException($"{what} is too large: {stream.Length} bytes (the limit is {limit})");
        return await ReadBoundedAsync(stream, what, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a stream whole, stopping with an error as soon as it passes <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream stream, string what, long limit, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new ImageSourceException($"{what} is too large: more than {limit} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
