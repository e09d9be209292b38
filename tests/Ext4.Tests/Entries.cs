namespace ImageCache.Ext4.Tests;

/// <summary>Builds <see cref="FilesystemEntry"/> lists and runs the builder on them.</summary>
internal static class Entries
{
    public static readonly DateTimeOffset Time = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
    private static readonly IReadOnlyDictionary<string, byte[]> NoXattrs = new Dictionary<string, byte[]>();

    public static FilesystemEntry Dir(string path, int mode = 0x1ED, long uid = 0, long gid = 0, DateTimeOffset? time = null) =>
        new(path, FilesystemEntryKind.Directory, mode, uid, gid, time ?? Time, NoXattrs, null, 0, 0, 0, null);

    public static FilesystemEntry File(string path, byte[] data, int mode = 0x1A4, long uid = 0, long gid = 0, DateTimeOffset? time = null) =>
        new(path, FilesystemEntryKind.RegularFile, mode, uid, gid, time ?? Time, NoXattrs, null, 0, 0, data.Length,
            _ => ValueTask.FromResult<Stream>(new MemoryStream(data, writable: false)));

    public static FilesystemEntry File(string path, long size, Func<Stream> open, int mode = 0x1A4) =>
        new(path, FilesystemEntryKind.RegularFile, mode, 0, 0, Time, NoXattrs, null, 0, 0, size, _ => ValueTask.FromResult(open()));

    public static FilesystemEntry Symlink(string path, string target) =>
        new(path, FilesystemEntryKind.SymbolicLink, 0x1FF, 0, 0, Time, NoXattrs, target, 0, 0, 0, null);

    public static FilesystemEntry HardLink(string path, string target) =>
        new(path, FilesystemEntryKind.HardLink, 0, 0, 0, Time, NoXattrs, target, 0, 0, 0, null);

    public static FilesystemEntry Device(string path, FilesystemEntryKind kind, int major, int minor, int mode = 0x1B6) =>
        new(path, kind, mode, 0, 0, Time, NoXattrs, null, major, minor, 0, null);

    public static FilesystemEntry Fifo(string path, int mode = 0x1A4) =>
        new(path, FilesystemEntryKind.Fifo, mode, 0, 0, Time, NoXattrs, null, 0, 0, 0, null);

    public static async Task<BuildResult> BuildAsync(string output, IReadOnlyList<FilesystemEntry> entries, long? size = null, string key = "sha256:feedface",
        IReadOnlyDictionary<string, string>? options = null)
    {
        var request = new BuildRequest(output, size, key, entries.Sum(e => e.Size), entries.Count,
            options ?? new Dictionary<string, string>(), null);
        return await new ImageCache.Builders.Ext4.Ext4Builder().BuildAsync(request, ToAsync(entries), CancellationToken.None);
    }

    private static async IAsyncEnumerable<FilesystemEntry> ToAsync(IReadOnlyList<FilesystemEntry> entries)
    {
        foreach (var entry in entries)
        {
            await Task.Yield();
            yield return entry;
        }
    }

    /// <summary>Data with a deterministic non-zero pattern, except where <paramref name="isHole"/> says a 4 KiB block is zero.</summary>
    public static byte[] Patterned(int length, Func<int, bool>? isHole = null)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++)
            data[i] = isHole?.Invoke(i / 4096) == true ? (byte)0 : (byte)(1 + (i * 31 + i / 4096) % 251);
        return data;
    }
}

/// <summary>A read-only stream of <c>length</c> bytes produced by a function of the position, without holding them.</summary>
internal sealed class GeneratedStream(long length, Func<long, byte> byteAt) : Stream
{
    private long _position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _position);
        for (var i = 0; i < n; i++) buffer[offset + i] = byteAt(_position + i);
        _position += n;
        return n;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ext4-tests-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
