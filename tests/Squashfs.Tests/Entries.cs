namespace ImageCache.Squashfs.Tests;

/// <summary>Builds <see cref="FilesystemEntry"/> lists and runs the squashfs builder on them.</summary>
internal static class Entries
{
    public static readonly DateTimeOffset Time = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234567);
    public static readonly IReadOnlyDictionary<string, byte[]> NoXattrs = new Dictionary<string, byte[]>();

    public static FilesystemEntry Dir(string path, int mode = 0x1ED, long uid = 0, long gid = 0, IReadOnlyDictionary<string, byte[]>? xattrs = null) =>
        new(path, FilesystemEntryKind.Directory, mode, uid, gid, Time, xattrs ?? NoXattrs, null, 0, 0, 0, null);

    public static FilesystemEntry File(string path, byte[] data, int mode = 0x1A4, long uid = 0, long gid = 0,
        IReadOnlyDictionary<string, byte[]>? xattrs = null, DateTimeOffset? time = null) =>
        new(path, FilesystemEntryKind.RegularFile, mode, uid, gid, time ?? Time, xattrs ?? NoXattrs, null, 0, 0, data.Length,
            _ => ValueTask.FromResult<Stream>(new MemoryStream(data, writable: false)));

    public static FilesystemEntry Symlink(string path, string target) =>
        new(path, FilesystemEntryKind.SymbolicLink, 0x1FF, 0, 0, Time, NoXattrs, target, 0, 0, 0, null);

    public static FilesystemEntry HardLink(string path, string target) =>
        new(path, FilesystemEntryKind.HardLink, 0, 0, 0, Time, NoXattrs, target, 0, 0, 0, null);

    public static FilesystemEntry Device(string path, FilesystemEntryKind kind, int major, int minor, int mode = 0x1B6) =>
        new(path, kind, mode, 0, 0, Time, NoXattrs, null, major, minor, 0, null);

    public static FilesystemEntry Fifo(string path, int mode = 0x1A4) =>
        new(path, FilesystemEntryKind.Fifo, mode, 0, 0, Time, NoXattrs, null, 0, 0, 0, null);

    public static BuildRequest Request(string output, IReadOnlyList<FilesystemEntry> entries, Dictionary<string, string>? options = null) =>
        new(output, null, "sha256:feedface", entries.Sum(e => e.Size), entries.Count, options ?? new Dictionary<string, string>(), null);

    public static Task<BuildResult> BuildAsync(string output, IReadOnlyList<FilesystemEntry> entries, Dictionary<string, string>? options = null,
        CancellationToken cancellationToken = default) =>
        new ImageCache.Builders.Squashfs.SquashfsBuilder().BuildAsync(Request(output, entries, options), ToAsync(entries), cancellationToken);

    public static async IAsyncEnumerable<FilesystemEntry> ToAsync(IReadOnlyList<FilesystemEntry> entries)
    {
        foreach (var entry in entries)
        {
            await Task.Yield();
            yield return entry;
        }
    }

    /// <summary>Data with a deterministic, poorly compressible pattern.</summary>
    public static byte[] Patterned(int length)
    {
        var data = new byte[length];
        uint x = 2463534242;
        for (var i = 0; i < length; i++)
        {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            data[i] = (byte)x;
        }

        return data;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("squashfs-tests-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
