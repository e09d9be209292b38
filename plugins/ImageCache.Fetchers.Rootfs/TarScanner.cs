using System.IO.Compression;
using ImageCache.Contracts;
using ImageCache.Host.Layers;

namespace ImageCache.Fetchers.Rootfs;

/// <summary>
/// Reads a root filesystem tar (plain, gzip or zstd, sniffed from the magic bytes, not the file name) into the same
/// entries a directory walk gives, so a tree and a tar of it make the same layer. Regular files' data is spooled,
/// in one pass, into one private file (a compressed stream cannot seek); the layer is then written in canonical order.
/// </summary>
/// <remarks>
/// Names are normalised (<c>./</c>, leading <c>/</c>, trailing <c>/</c>); a <c>..</c> component is refused. A name
/// that appears twice: the last one wins (the tolerant rule for layers, oci-rules §3.6). A hard link must name an
/// earlier regular file (or another link to one); all names of a file share a link group keyed by its first name.
/// </remarks>
internal static class TarScanner
{
    public enum Compression { None, Gzip, Zstd }

    /// <summary>The compression of <paramref name="path"/> from its first bytes: gzip <c>1f 8b</c>, zstd <c>28 b5 2f fd</c>, else none.</summary>
    public static Compression Sniff(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        var got = file.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return Compression.Gzip;
        if (got == 4 && magic is [0x28, 0xb5, 0x2f, 0xfd]) return Compression.Zstd;
        return Compression.None;
    }

    public static async Task<List<RootfsEntry>> ScanAsync(string archive, string spoolFile, string source, CancellationToken cancellationToken)
    {
        var compression = Sniff(archive);
        await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 17, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using Stream input = compression switch
        {
            Compression.Gzip => new GZipStream(file, CompressionMode.Decompress, leaveOpen: true),
            Compression.Zstd => new ZstdSharp.DecompressionStream(file, leaveOpen: true),
            _ => file,
        };
        await using var spool = new FileStream(spoolFile, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 17, Options = FileOptions.Asynchronous,
        });

        var byPath = new Dictionary<string, RootfsEntry>(StringComparer.Ordinal);
        var hardLinks = new List<(string Path, string Target, TarEntryHeader Header)>();
        var any = false;
        try
        {
            await using var reader = new TarReader(input, leaveOpen: true);
            while (await reader.GetNextEntryAsync(cancellationToken).ConfigureAwait(false) is { } entry)
            {
                any = true;
                var header = entry.Header;
                var path = Normalise(header.Name, source);
                if (header.Kind == TarEntryKind.HardLink)
                {
                    byPath.Remove(path);
                    hardLinks.Add((path, Normalise(header.LinkName, source), header));
                    continue;
                }
                hardLinks.RemoveAll(l => l.Path == path);
                Func<Stream>? open = null;
                if (header.Kind == TarEntryKind.RegularFile && header.Size > 0)
                {
                    var offset = spool.Position;
                    var length = header.Size;
                    await entry.DataStream.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
                    open = () => new SpoolSlice(spoolFile, offset, length);
                }
                var type = header.Kind switch
                {
                    TarEntryKind.RegularFile => '0',
                    TarEntryKind.SymbolicLink => '2',
                    TarEntryKind.CharacterDevice => '3',
                    TarEntryKind.BlockDevice => '4',
                    TarEntryKind.Directory => '5',
                    _ => '6',
                };
                byPath[path] = new RootfsEntry(path, type, header.Mode & 0xFFF, header.Uid, header.Gid, header.ModifiedTime,
                    header.Xattrs, type == '2' ? header.LinkName : null, (int)header.DevMajor, (int)header.DevMinor,
                    type == '0' ? header.Size : 0, type == '0' ? path : null, open);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ImageSourceException($"{source}: not a valid tar archive: {e.Message}", e);
        }
        if (!any) throw new ImageSourceException($"{source}: not a tar archive (no entries)");

        // Hard links: join the link group of the file they name (following links to links), with its metadata.
        foreach (var (path, target, _) in hardLinks)
        {
            var resolved = target;
            for (var hops = 0; !byPath.ContainsKey(resolved) && hops < 64; hops++)
            {
                var next = hardLinks.FirstOrDefault(l => l.Path == resolved);
                if (next.Path is null) break;
                resolved = next.Target;
            }
            if (!byPath.TryGetValue(resolved, out var file2) || file2.TypeFlag != '0')
                throw new ImageSourceException($"{source}: the hard link /{path} names /{target}, which is not a regular file earlier in the archive");
            byPath[path] = file2 with { Path = path };
        }
        return [.. byPath.Values];
    }

    static string Normalise(string name, string source)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
            throw new ImageSourceException($"{source}: refusing the entry '{name}': it has a '..' component");
        return string.Join('/', parts);
    }

    /// <summary>A read-only window onto the spool file.</summary>
    sealed class SpoolSlice : Stream
    {
        readonly FileStream file;
        long remaining;

        public SpoolSlice(string path, long offset, long length)
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 17, FileOptions.Asynchronous);
            file.Position = offset;
            remaining = length;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (remaining == 0) return 0;
            var read = file.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
            remaining -= read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (remaining == 0) return 0;
            var read = await file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, remaining)], cancellationToken).ConfigureAwait(false);
            remaining -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) file.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await file.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
