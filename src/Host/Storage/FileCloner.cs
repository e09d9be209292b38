using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ImageCache.Host.Storage;

/// <summary>
/// Copies a file's content into another open file: a reflink (<c>ioctl FICLONE</c>: the copy shares the source's
/// extents until either side writes) where the file system supports it, else a sparse copy that reads only the
/// source's data ranges (<c>SEEK_DATA</c>/<c>SEEK_HOLE</c>) and leaves holes — and all-zero blocks — unwritten.
/// The source is only ever read.
/// </summary>
internal static partial class FileCloner
{
    /// <summary><c>_IOW(0x94, 9, int)</c> from linux/fs.h: clone all of the source's extents into the destination.</summary>
    const uint FICLONE = 0x40049409;
    const int SEEK_DATA = 3;
    const int SEEK_HOLE = 4;

    const int EXDEV = 18;       // source and destination on different file systems (or mounts)
    const int EINVAL = 22;      // the file system does not implement the call, or the files are unsuitable
    const int ENOTTY = 25;      // no such ioctl on this file system (tmpfs, overlayfs on some kernels)
    const int ENOSYS = 38;
    const int EOPNOTSUPP = 95;  // ext4 and others: no shared extents
    const int ENXIO = 6;        // SEEK_DATA past the last data: only a hole remains

    /// <summary>The copy granularity for the sparse path; zero runs are skipped per <see cref="Block"/> inside it.</summary>
    const int Chunk = 1 << 20;
    const int Block = 4096;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlClone(int fd, nuint request, int sourceFd);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);

    /// <summary>What a failed <c>FICLONE</c> means.</summary>
    internal enum ReflinkFailure
    {
        /// <summary>The file system (or this pair of files) cannot share extents: copy instead.</summary>
        Unsupported,
        /// <summary>A real error (no space, I/O error, bad descriptor): report it, do not hide it behind a copy.</summary>
        Error,
    }

    /// <summary>Classifies the errno of a failed <c>FICLONE</c>: EOPNOTSUPP, EXDEV, EINVAL, ENOTTY and ENOSYS fall back to a copy.</summary>
    internal static ReflinkFailure Classify(int errno) => errno switch
    {
        EOPNOTSUPP or EXDEV or EINVAL or ENOTTY or ENOSYS => ReflinkFailure.Unsupported,
        _ => ReflinkFailure.Error,
    };

    /// <summary>Tries <c>FICLONE</c>; returns 0 on success, else the errno.</summary>
    internal static int TryReflink(SafeFileHandle source, SafeFileHandle destination)
    {
        var result = IoctlClone(Descriptor(destination), FICLONE, Descriptor(source));
        return result == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// Makes <paramref name="destination"/> (empty, open for writing) a copy of the first <paramref name="length"/>
    /// bytes of <paramref name="source"/>: a reflink when <paramref name="allowReflink"/> and the file system can,
    /// else a sparse copy. With <paramref name="hash"/>, the source's content (holes as zeros) is hashed as well:
    /// in the same pass for a copy, by reading the source after a reflink (the caller discards the copy on a mismatch).
    /// </summary>
    /// <returns>True for a reflink, false for a copy.</returns>
    /// <exception cref="IOException">The reflink failed for a reason other than lack of support, or a read or write failed.</exception>
    internal static bool Copy(SafeFileHandle source, SafeFileHandle destination, long length, IncrementalHash? hash, bool allowReflink, CancellationToken cancellationToken)
    {
        if (allowReflink)
        {
            var errno = TryReflink(source, destination);
            if (errno == 0)
            {
                // The clone shares the source's extents: hashing the source checks what the copy holds.
                if (hash is not null) HashRanges(source, length, hash, cancellationToken);
                return true;
            }
            if (Classify(errno) == ReflinkFailure.Error)
                throw new IOException($"reflink (FICLONE) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        SparseCopy(source, destination, length, hash, cancellationToken);
        return false;
    }

    /// <summary>Copies the data ranges of the source; the destination is sized first, so holes stay holes.</summary>
    internal static void SparseCopy(SafeFileHandle source, SafeFileHandle destination, long length, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        RandomAccess.SetLength(destination, length);
        var buffer = new byte[Chunk];
        foreach (var (start, end) in DataRanges(source, length, hash))
        {
            for (var offset = start; offset < end; offset += Chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = (int)Math.Min(Chunk, end - offset);
                ReadExactly(source, buffer.AsSpan(0, count), offset);
                hash?.AppendData(buffer, 0, count);
                WriteNonZeroBlocks(destination, buffer.AsSpan(0, count), offset);
            }
        }
    }

    /// <summary>Hashes the source's content, reading only its data ranges (holes hash as zeros).</summary>
    static void HashRanges(SafeFileHandle source, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var buffer = new byte[Chunk];
        foreach (var (start, end) in DataRanges(source, length, hash))
            for (var offset = start; offset < end; offset += Chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = (int)Math.Min(Chunk, end - offset);
                ReadExactly(source, buffer.AsSpan(0, count), offset);
                hash.AppendData(buffer, 0, count);
            }
    }

    /// <summary>
    /// The source's data ranges in order, [start, end). The holes between them are fed to <paramref name="holeHash"/>
    /// as zeros (so the hash is of the whole content). A file system without SEEK_DATA gives one range: all of it.
    /// </summary>
    static IEnumerable<(long Start, long End)> DataRanges(SafeFileHandle source, long length, IncrementalHash? holeHash)
    {
        var fd = Descriptor(source);
        var position = 0L;
        while (position < length)
        {
            var data = Lseek(fd, position, SEEK_DATA);
            if (data < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == ENXIO) data = length;                 // only a hole remains
                else if (errno == EINVAL && position == 0) { yield return (0, length); yield break; } // no SEEK_DATA here
                else throw new IOException($"lseek(SEEK_DATA) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            data = Math.Min(data, length);
            if (holeHash is not null) AppendZeros(holeHash, data - position);
            if (data >= length) yield break;
            var hole = Lseek(fd, data, SEEK_HOLE);
            if (hole < 0) throw new IOException($"lseek(SEEK_HOLE) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            hole = Math.Min(hole, length);
            yield return (data, hole);
            position = hole;
        }
    }

    static readonly byte[] Zeros = new byte[Chunk];

    static void AppendZeros(IncrementalHash hash, long count)
    {
        for (; count > 0; count -= Chunk) hash.AppendData(Zeros, 0, (int)Math.Min(Chunk, count));
    }

    static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            var read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0) throw new IOException($"the file ended early at byte {offset}: it changed while being copied");
            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>Writes the runs of blocks that are not all zero; zero blocks stay holes in the (pre-sized) destination.</summary>
    static void WriteNonZeroBlocks(SafeFileHandle destination, ReadOnlySpan<byte> data, long offset)
    {
        var i = 0;
        while (i < data.Length)
        {
            while (i < data.Length && IsZero(data.Slice(i, Math.Min(Block, data.Length - i)))) i += Block;
            if (i >= data.Length) break;
            var runStart = i;
            while (i < data.Length && !IsZero(data.Slice(i, Math.Min(Block, data.Length - i)))) i += Block;
            var runEnd = Math.Min(i, data.Length);
            RandomAccess.Write(destination, data[runStart..runEnd], offset + runStart);
        }
    }

    static bool IsZero(ReadOnlySpan<byte> block) => !block.ContainsAnyExcept((byte)0);

    static int Descriptor(SafeFileHandle handle) => (int)handle.DangerousGetHandle();
}
