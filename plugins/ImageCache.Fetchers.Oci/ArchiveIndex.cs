using System.Formats.Tar;
using System.IO.Compression;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// Random access to the members of an archive file without unpacking it (oci-rules §3.8: "tars are linear: index
/// member offsets in one pass"). A plain tar is indexed once (name → data offset, size, type) and a member is then
/// read in place. A gzipped tar cannot seek: the indexing pass keeps small JSON members in memory, and
/// <see cref="PrefetchAsync"/> spools, in one more pass, only the members the caller will read.
/// </summary>
/// <remarks>
/// <para>Hostile archives: an entry whose name is absolute or has a <c>..</c> component is refused wherever it is.
/// Symbolic and hard links between members are followed (classic <c>docker save</c> writes <c>ID/layer.tar</c> as a
/// symlink to another layer's), but only to members of the same archive: an absolute target, a target that
/// escapes the archive, a cycle or a chain longer than <see cref="MaxLinkHops"/> is refused. A name that appears
/// twice is refused when it is read (which copy is meant would be ambiguous). Members are only ever read, never
/// written anywhere but the caller's private spool directory.</para>
/// </remarks>
internal sealed class ArchiveIndex
{
    const int MaxLinkHops = 16;

    /// <summary>gzip members kept in memory by the indexing pass: JSON documents up to this size ...</summary>
    const long MaxCachedMember = OciLayoutReader.MaxJsonBytes;

    /// <summary>... and up to this much in all.</summary>
    const long MaxCachedTotal = 64 << 20;

    sealed record Member(TarEntryType Type, long DataOffset, long Size, string? LinkName, bool Duplicate);

    readonly string archive;
    readonly string source;
    readonly string spoolDir;
    readonly Dictionary<string, Member> members = new(StringComparer.Ordinal);
    readonly Dictionary<string, byte[]> cached = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> spooled = new(StringComparer.Ordinal);

    ArchiveIndex(string archive, string source, string spoolDir, bool compressed)
    {
        this.archive = archive;
        this.source = source;
        this.spoolDir = spoolDir;
        Compressed = compressed;
    }

    /// <summary>True for a gzipped archive (members are served from memory or the spool, after <see cref="PrefetchAsync"/>).</summary>
    public bool Compressed { get; }

    /// <summary>Every member name (normalised), in no particular order.</summary>
    public IEnumerable<string> Names => members.Keys;

    /// <summary>Indexes <paramref name="archive"/> in one pass; <paramref name="spoolDir"/> is a private directory the caller deletes.</summary>
    public static async Task<ArchiveIndex> OpenAsync(string archive, string source, string spoolDir, CancellationToken cancellationToken)
    {
        if (Directory.Exists(archive)) throw new ImageSourceException($"{source}: is a directory, not an archive");
        if (!File.Exists(archive)) throw new ImageSourceException($"{source}: no such file");
        var compressed = IsGzip(archive);
        var index = new ArchiveIndex(archive, source, spoolDir, compressed);
        long cachedTotal = 0;
        await ArchiveTar.ReadAsync(archive, source, async entry =>
        {
            var name = index.Check(entry.Name);
            if (entry.EntryType is TarEntryType.Directory) return;
            var duplicate = index.members.ContainsKey(name);
            var link = entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink ? entry.LinkName : null;
            index.members[name] = new Member(entry.EntryType, compressed ? -1 : entry.DataOffset, entry.Length, link, duplicate);
            if (compressed && IsRegular(entry.EntryType) && entry.Length <= MaxCachedMember && cachedTotal + entry.Length <= MaxCachedTotal
                && entry.DataStream is { } data)
            {
                var bytes = await LayoutFiles.ReadBoundedAsync(data, $"{source}: {name}", MaxCachedMember, cancellationToken).ConfigureAwait(false);
                if (bytes.Length > 0 && (bytes[0] == (byte)'{' || bytes[0] == (byte)'[' || name is "oci-layout" or "index.json" or "manifest.json"))
                {
                    index.cached[name] = bytes;
                    cachedTotal += bytes.Length;
                }
            }
        }, cancellationToken).ConfigureAwait(false);
        return index;
    }

    static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        return file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    static bool IsRegular(TarEntryType type) => type is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;

    /// <summary>The normalised name of an entry (<c>./</c> and empty components dropped); absolute and <c>..</c> names are refused.</summary>
    string Check(string raw)
    {
        if (raw.StartsWith('/'))
            throw new ImageSourceException($"{source}: refusing archive entry with an absolute path '{Digests.Printable(raw)}'");
        var parts = raw.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
            throw new ImageSourceException($"{source}: refusing archive entry with '..' in its path '{Digests.Printable(raw)}'");
        return string.Join('/', parts);
    }

    /// <summary>What <paramref name="name"/> is, after following links inside the archive.</summary>
    public LayoutFiles.Kind KindOf(string name)
    {
        if (!members.ContainsKey(name)) return LayoutFiles.Kind.Missing;
        var resolved = Resolve(name, name);
        return IsRegular(members[resolved].Type) ? LayoutFiles.Kind.Regular : LayoutFiles.Kind.Other;
    }

    /// <summary>The regular member <paramref name="name"/> stands for, following links; refuses anything else.</summary>
    /// <exception cref="ImageSourceException">Missing, a duplicate, not a regular file, or a link leaving the archive.</exception>
    public string Resolve(string name, string what)
    {
        var current = name;
        for (var hop = 0; hop <= MaxLinkHops; hop++)
        {
            if (!members.TryGetValue(current, out var member))
                throw new ImageSourceException(hop == 0
                    ? $"{source}: '{Digests.Printable(what)}' is missing from the archive"
                    : $"{source}: '{Digests.Printable(what)}' links to '{Digests.Printable(current)}', which is missing from the archive");
            if (member.Duplicate) throw new ImageSourceException($"{source}: the archive holds '{Digests.Printable(current)}' twice");
            if (IsRegular(member.Type)) return current;
            if (member.Type is TarEntryType.SymbolicLink)
            {
                var target = member.LinkName ?? "";
                if (target.StartsWith('/'))
                    throw new ImageSourceException($"{source}: refusing archive entry '{Digests.Printable(current)}': it is a link outside the archive ('{Digests.Printable(target)}')");
                var slash = current.LastIndexOf('/');
                current = Join(slash < 0 ? "" : current[..slash], target)
                    ?? throw new ImageSourceException($"{source}: refusing archive entry '{Digests.Printable(name)}': it is a link outside the archive ('{Digests.Printable(target)}')");
                continue;
            }
            if (member.Type is TarEntryType.HardLink)
            {
                // A hard link names another member from the archive root.
                current = Join("", member.LinkName ?? "")
                    ?? throw new ImageSourceException($"{source}: refusing archive entry '{Digests.Printable(name)}': it is a link outside the archive");
                continue;
            }
            throw new ImageSourceException($"{source}: refusing archive entry '{Digests.Printable(current)}': not a regular file ({member.Type})");
        }
        throw new ImageSourceException($"{source}: refusing archive entry '{Digests.Printable(name)}': links nested more than {MaxLinkHops} deep");
    }

    /// <summary><paramref name="relative"/> applied to directory <paramref name="directory"/>; null when it climbs out of the root.</summary>
    static string? Join(string directory, string relative)
    {
        var parts = new List<string>(directory.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(part);
        }
        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    /// <summary>The size of a (resolved) member.</summary>
    public long SizeOf(string name) => members[Resolve(name, name)].Size;

    /// <summary>
    /// For a gzipped archive, spools the members <paramref name="names"/> resolve to (those not already in memory) in one
    /// pass. Nothing to do for a plain tar.
    /// </summary>
    public async Task PrefetchAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        if (!Compressed) return;
        var wanted = names.Select(n => Resolve(n, n)).Where(n => !cached.ContainsKey(n) && !spooled.ContainsKey(n)).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0) return;
        await ArchiveTar.ReadAsync(archive, source, async entry =>
        {
            var name = Check(entry.Name);
            if (!wanted.Remove(name) || entry.DataStream is not { } data) return;
            var file = Path.Combine(spoolDir, spooled.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await using (var output = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 17, Options = FileOptions.Asynchronous,
            }))
            {
                await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
            spooled[name] = file;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the member <paramref name="name"/> resolves to; <paramref name="what"/> names it in errors.</summary>
    public async Task<Stream> OpenAsync(string name, string what, CancellationToken cancellationToken)
    {
        var resolved = Resolve(name, what);
        var member = members[resolved];
        if (!Compressed)
        {
            var file = new FileStream(archive, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 17, Options = FileOptions.Asynchronous,
            });
            return new ArchiveSlice(file, member.DataOffset, member.Size);
        }
        if (cached.TryGetValue(resolved, out var bytes)) return new MemoryStream(bytes, writable: false);
        if (!spooled.ContainsKey(resolved)) await PrefetchAsync([resolved], cancellationToken).ConfigureAwait(false);
        if (!spooled.TryGetValue(resolved, out var spool))
            throw new ImageSourceException($"{source}: '{Digests.Printable(what)}' could not be read from the archive");
        return LayoutFiles.OpenRegular(spool, $"{source}: {what}");
    }

    /// <summary>Reads a small member whole, refusing it when it is larger than <paramref name="limit"/>.</summary>
    public async Task<byte[]> ReadSmallAsync(string name, string what, long limit, CancellationToken cancellationToken)
    {
        var size = SizeOf(name);
        if (size > limit) throw new ImageSourceException($"{what} is too large: {size} bytes (the limit is {limit})");
        await using var stream = await OpenAsync(name, what, cancellationToken).ConfigureAwait(false);
        return await LayoutFiles.ReadBoundedAsync(stream, what, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A read-only window of the archive file: one member's data.</summary>
    sealed class ArchiveSlice : Stream
    {
        readonly FileStream file;
        readonly long length;
        long position;

        public ArchiveSlice(FileStream file, long offset, long length)
        {
            this.file = file;
            this.length = length;
            file.Position = offset;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = file.Read(buffer[..(int)Math.Min(buffer.Length, length - position)]);
            position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - position)], cancellationToken).ConfigureAwait(false);
            position += read;
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
