using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// Reads one image of a <c>docker save</c> archive (oci-rules §3.8) and puts it into the blob store as an OCI image:
/// its config, its layer blobs as stored in the archive, and a synthesised OCI image manifest (docker save has no
/// registry manifest).
/// </summary>
/// <remarks>
/// <para>Two streaming passes over the tar: the first indexes entry names and types and reads <c>manifest.json</c>; the
/// second copies only the entries the chosen image names into <paramref name="tempDir"/> (private, deleted by the
/// caller), hashing them while they are written. Nothing is stored until every check has passed.</para>
/// <para>Hostile archives: a <c>Config</c>/<c>Layers</c> path that is absolute, has a <c>..</c> component, is not in the
/// tar, is a link or any other non-regular entry, or appears twice, is refused. Other entries are never extracted.</para>
/// <para>Layers: compression is sniffed (gzip <c>1f 8b</c>, zstd <c>28 b5 2f fd</c>, else tar) and sets the media type.
/// The uncompressed digest is checked against <c>rootfs.diff_ids</c> for tar and gzip layers; zstd layers are stored
/// as they are (no zstd decompressor is available to a contract-only plugin), with their diff_id taken from the config.</para>
/// </remarks>
internal sealed class DockerArchiveReader(string archive, string tempDir, string source, FetchRequest request)
{
    const string ManifestJson = "manifest.json";
    const string TarLayer = "application/vnd.oci.image.layer.v1.tar";
    const string GzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    const string ZstdLayer = "application/vnd.oci.image.layer.v1.tar+zstd";

    sealed record ImageEntry(int Index, string Config, IReadOnlyList<string> Layers, IReadOnlyList<string> RepoTags);

    sealed record Extracted(string File, string Digest, long Size, string MediaType);

    sealed record Prepared(ImageEntry Image, byte[] Config, string ConfigDigest, PlatformSpec Platform,
        IReadOnlyList<(Extracted Blob, string DiffId)> Layers, byte[] Manifest, string ManifestDigest);

    readonly Dictionary<string, TarEntryType> _types = new(StringComparer.Ordinal);
    readonly HashSet<string> _duplicates = new(StringComparer.Ordinal);
    readonly Dictionary<string, Extracted> _extracted = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _checkedDiffIds = new(StringComparer.Ordinal);

    public async Task<FetchedImage> FetchAsync(string? reference, string? digest, CancellationToken cancellationToken)
    {
        if (Directory.Exists(archive)) throw new ImageSourceException($"{source}: is a directory, not an archive");
        if (!File.Exists(archive)) throw new ImageSourceException($"{source}: no such file");

        byte[]? manifestJson = null;
        await ReadTarAsync(async (name, entry) =>
        {
            if (!_types.TryAdd(name, entry.EntryType)) _duplicates.Add(name);
            if (name == ManifestJson && IsRegular(entry.EntryType) && manifestJson is null && entry.DataStream is { } data)
                manifestJson = await LayoutFiles.ReadBoundedAsync(data, $"{source}: {ManifestJson}", OciLayoutReader.MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        if (!_types.TryGetValue(ManifestJson, out var manifestType))
            throw new ImageSourceException($"{source}: not a docker save archive (no {ManifestJson})");
        if (!IsRegular(manifestType)) throw new ImageSourceException($"{source}: {ManifestJson} is not a regular file ({manifestType})");
        if (_duplicates.Contains(ManifestJson)) throw new ImageSourceException($"{source}: the archive holds {ManifestJson} twice");

        var images = ParseManifestJson(manifestJson ?? []);
        var candidates = digest is not null ? images : [Choose(images, reference)];

        var needed = candidates.SelectMany(i => i.Layers.Prepend(i.Config)).ToHashSet(StringComparer.Ordinal);
        foreach (var path in needed) CheckEntry(path);
        await ExtractAsync(needed, cancellationToken).ConfigureAwait(false);

        Prepared? chosen = null;
        foreach (var image in candidates)
        {
            var prepared = await PrepareAsync(image, cancellationToken).ConfigureAwait(false);
            if (digest is null || prepared.ManifestDigest == digest || prepared.ConfigDigest == digest)
            {
                chosen = prepared;
                break;
            }
        }
        if (chosen is null)
            throw new ImageSourceException($"{source}: no image with manifest or image ID {digest}; the archive has: {ListTags(images)}");

        if (request.Platform is { } wanted
            && (wanted.Os != chosen.Platform.Os || wanted.Architecture != chosen.Platform.Architecture))
            throw new ImageSourceException($"{source}: the image is for {chosen.Platform}, not the requested {wanted}");

        return await StoreAsync(chosen, cancellationToken).ConfigureAwait(false);
    }

    static bool IsRegular(TarEntryType type) => type is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;

    /// <summary>Strips <c>./</c> prefixes and empty components, the way tar writers differ.</summary>
    static string Normalise(string name) => string.Join('/', name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));

    Task ReadTarAsync(Func<string, TarEntry, Task> onEntry, CancellationToken cancellationToken) =>
        ArchiveTar.ReadAsync(archive, source, entry => onEntry(Normalise(entry.Name), entry), cancellationToken);

    List<ImageEntry> ParseManifestJson(byte[] bytes)
    {
        var what = $"{source}: {ManifestJson}";
        JsonDocument document;
        try { document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw new ImageSourceException($"{what} is not valid JSON: {Digests.Printable(e.Message)}", e); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new ImageSourceException($"{what} is not a JSON array");
            var images = new List<ImageEntry>();
            foreach (var (element, i) in document.RootElement.EnumerateArray().Select((e, i) => (e, i)))
            {
                var item = $"{what}[{i}]";
                if (element.ValueKind != JsonValueKind.Object) throw new ImageSourceException($"{item} is not a JSON object");
                var config = Json.String(element, "Config") ?? throw new ImageSourceException($"{item} has no Config");
                var layers = Json.Property(element, "Layers", JsonValueKind.Array)?.EnumerateArray()
                    .Select((l, j) => l.ValueKind == JsonValueKind.String ? l.GetString()! : throw new ImageSourceException($"{item}: Layers[{j}] is not a string"))
                    .ToList() ?? throw new ImageSourceException($"{item} has no Layers array");
                var tags = Json.Property(element, "RepoTags", JsonValueKind.Array)?.EnumerateArray()
                    .Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList() ?? [];
                images.Add(new ImageEntry(i, CheckPath(config, $"{item}: Config"),
                    [.. layers.Select((l, j) => CheckPath(l, $"{item}: Layers[{j}]"))], tags));
            }
            if (images.Count == 0) throw new ImageSourceException($"{what} lists no image");
            return images;
        }
    }

    /// <summary>Refuses absolute and <c>..</c>-escaping paths; returns the normalised form the tar index uses.</summary>
    string CheckPath(string path, string what)
    {
        if (path.Length == 0) throw new ImageSourceException($"{what} is empty");
        if (path.StartsWith('/')) throw new ImageSourceException($"{what} '{Digests.Printable(path)}' is an absolute path");
        if (path.Split('/').Contains("..")) throw new ImageSourceException($"{what} '{Digests.Printable(path)}' escapes the archive ('..')");
        var normal = Normalise(path);
        if (normal.Length == 0) throw new ImageSourceException($"{what} '{Digests.Printable(path)}' names no file");
        return normal;
    }

    void CheckEntry(string path)
    {
        if (!_types.TryGetValue(path, out var type))
            throw new ImageSourceException($"{source}: '{Digests.Printable(path)}' named in {ManifestJson} is missing from the archive");
        if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
            throw new ImageSourceException($"{source}: refusing '{Digests.Printable(path)}' named in {ManifestJson}: it is a link in the archive");
        if (!IsRegular(type))
            throw new ImageSourceException($"{source}: refusing '{Digests.Printable(path)}' named in {ManifestJson}: not a regular file ({type})");
        if (_duplicates.Contains(path))
            throw new ImageSourceException($"{source}: the archive holds '{Digests.Printable(path)}' twice");
    }

    ImageEntry Choose(List<ImageEntry> images, string? reference)
    {
        if (reference is null)
        {
            if (images.Count == 1) return images[0];
            throw new ImageSourceException($"{source}: the archive holds {images.Count} images; name one with {source}:REF (tags: {ListTags(images)})");
        }
        var wanted = NormaliseReference(reference);
        return images.FirstOrDefault(i => i.RepoTags.Any(t => NormaliseReference(t) == wanted))
            ?? throw new ImageSourceException($"{source}: no image tagged '{Digests.Printable(reference)}'; the archive has: {ListTags(images)}");
    }

    static string ListTags(List<ImageEntry> images)
    {
        var tags = images.SelectMany(i => i.RepoTags).Select(Digests.Printable).ToList();
        var untagged = images.Count(i => i.RepoTags.Count == 0);
        if (untagged > 0) tags.Add($"{untagged} untagged");
        return string.Join(", ", tags);
    }

    /// <summary>
    /// <c>busybox</c>, <c>library/busybox:latest</c> and <c>docker.io/library/busybox:latest</c> all mean the
    /// <c>busybox:latest</c> that docker save writes: the Docker Hub prefixes are dropped and a missing tag is <c>latest</c>.
    /// </summary>
    internal static string NormaliseReference(string reference)
    {
        var r = reference;
        foreach (var prefix in (string[])["docker.io/", "index.docker.io/", "registry-1.docker.io/"])
        {
            if (r.StartsWith(prefix, StringComparison.Ordinal)) { r = r[prefix.Length..]; break; }
        }
        if (r.StartsWith("library/", StringComparison.Ordinal) && r.IndexOf('/', "library/".Length) < 0) r = r["library/".Length..];
        if (r.Contains('@')) return r;
        var lastSlash = r.LastIndexOf('/');
        return r.IndexOf(':', lastSlash + 1) < 0 ? r + ":latest" : r;
    }

    /// <summary>Second pass: copies the needed entries to private files, hashing them and sniffing their compression.</summary>
    async Task ExtractAsync(HashSet<string> needed, CancellationToken cancellationToken)
    {
        await ReadTarAsync(async (name, entry) =>
        {
            if (!needed.Contains(name) || _extracted.ContainsKey(name) || !IsRegular(entry.EntryType)) return;
            var file = Path.Combine(tempDir, _extracted.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var head = new byte[4];
            var headLength = 0;
            long size = 0;
            await using (var output = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 17, Options = FileOptions.Asynchronous,
            }))
            {
                if (entry.DataStream is { } data)
                {
                    var buffer = new byte[1 << 17];
                    int read;
                    while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        for (var i = 0; headLength < head.Length && i < read; i++) head[headLength++] = buffer[i];
                        hash.AppendData(buffer, 0, read);
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        size += read;
                    }
                }
            }
            var mediaType = headLength >= 2 && head[0] == 0x1f && head[1] == 0x8b ? GzipLayer
                : headLength == 4 && head is [0x28, 0xb5, 0x2f, 0xfd] ? ZstdLayer
                : TarLayer;
            _extracted[name] = new Extracted(file, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), size, mediaType);
        }, cancellationToken).ConfigureAwait(false);

        foreach (var path in needed)
        {
            if (!_extracted.ContainsKey(path))
                throw new ImageSourceException($"{source}: '{Digests.Printable(path)}' named in {ManifestJson} could not be read from the archive");
        }
    }

    /// <summary>Reads and checks the config and layers of <paramref name="image"/> and synthesises its manifest.</summary>
    async Task<Prepared> PrepareAsync(ImageEntry image, CancellationToken cancellationToken)
    {
        var configBlob = _extracted[image.Config];
        var what = $"{source}: config {image.Config}";
        CheckNamedDigest(image.Config, configBlob.Digest, what);
        var configBytes = await LayoutFiles.ReadSmallAsync(configBlob.File, what, OciLayoutReader.MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        var (platform, diffIds) = ReadConfig(configBytes, what, image.Layers.Count);

        var layers = new List<(Extracted, string)>(image.Layers.Count);
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var path = image.Layers[i];
            var blob = _extracted[path];
            var layerWhat = $"{source}: layer {i} ({path})";
            CheckNamedDigest(path, blob.Digest, layerWhat);
            var actual = await DiffIdAsync(path, blob, cancellationToken).ConfigureAwait(false);
            if (actual is not null && actual != diffIds[i])
                throw new ImageSourceException($"{layerWhat}: diff_id mismatch: the config says {diffIds[i]}, the layer's uncompressed digest is {actual}");
            layers.Add((blob, diffIds[i]));
        }

        var manifest = SynthesiseManifest(configBlob, layers.Select(l => l.Item1));
        return new Prepared(image, configBytes, configBlob.Digest, platform, layers, manifest,
            "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest)));
    }

    /// <summary>Docker 25+ names blobs <c>blobs/sha256/HEX</c>, legacy saves the config <c>HEX.json</c>: the content must match.</summary>
    void CheckNamedDigest(string path, string actual, string what)
    {
        var parts = path.Split('/');
        string? named = parts switch
        {
            ["blobs", var algorithm, var hex] when Digests.IsValid($"{algorithm}:{hex}") => $"{algorithm}:{hex}",
            [var file] when file.EndsWith(".json", StringComparison.Ordinal) && Digests.IsValid("sha256:" + file[..^5]) => "sha256:" + file[..^5],
            _ => null,
        };
        if (named is not null && named.StartsWith("sha256:", StringComparison.Ordinal) && named != actual)
            throw new ImageSourceException($"{what}: digest mismatch: its name says {named}, the content is {actual}");
    }

    /// <summary>The uncompressed digest of a tar or gzip layer (cached per entry); null for zstd.</summary>
    async Task<string?> DiffIdAsync(string path, Extracted blob, CancellationToken cancellationToken)
    {
        if (blob.MediaType == TarLayer) return blob.Digest;
        if (blob.MediaType != GzipLayer) return null;
        if (_checkedDiffIds.TryGetValue(path, out var cached)) return cached;
        await using var file = LayoutFiles.OpenRegular(blob.File, $"{source}: layer {path}");
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var sha = SHA256.Create();
        try
        {
            var digest = "sha256:" + Convert.ToHexStringLower(await sha.ComputeHashAsync(gzip, cancellationToken).ConfigureAwait(false));
            _checkedDiffIds[path] = digest;
            return digest;
        }
        catch (InvalidDataException e)
        {
            throw new ImageSourceException($"{source}: layer {path} is not valid gzip: {Digests.Printable(e.Message)}", e);
        }
    }

    static (PlatformSpec Platform, IReadOnlyList<string> DiffIds) ReadConfig(byte[] bytes, string what, int layerCount)
    {
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        if (Json.Property(root, "rootfs", JsonValueKind.Object) is not { } rootfs)
            throw new ImageSourceException($"{what} has no rootfs");
        var type = Json.String(rootfs, "type");
        if (type != "layers")
            throw new ImageSourceException($"{what}: rootfs.type is '{Digests.Printable(type ?? "(none)")}', expected 'layers'");
        List<string> diffIds = Json.Property(rootfs, "diff_ids", JsonValueKind.Array) is { } array
            ? [.. array.EnumerateArray().Select((e, i) => Digests.Require(e.ValueKind == JsonValueKind.String ? e.GetString() : null, $"{what}: rootfs.diff_ids[{i}]"))]
            : [];
        if (diffIds.Count != layerCount)
            throw new ImageSourceException($"{what}: rootfs.diff_ids has {diffIds.Count} entries but {ManifestJson} lists {layerCount} layers");
        var os = Json.String(root, "os");
        var architecture = Json.String(root, "architecture");
        if (string.IsNullOrEmpty(os) || string.IsNullOrEmpty(architecture))
            throw new ImageSourceException($"{what} does not state its os and architecture");
        return (new PlatformSpec(os, architecture, Json.String(root, "variant") ?? ""), diffIds);
    }

    /// <summary>
    /// The OCI image manifest standing in for the registry manifest docker save does not keep. Written by hand in a
    /// fixed field order with no whitespace (every value is a constant or a validated digest), so the same archive
    /// always gives the same manifest digest.
    /// </summary>
    static byte[] SynthesiseManifest(Extracted config, IEnumerable<Extracted> layers)
    {
        static string Descriptor(string mediaType, Extracted blob) =>
            $$"""{"mediaType":"{{mediaType}}","digest":"{{blob.Digest}}","size":{{blob.Size}}}""";
        var text = $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}","config":{{Descriptor(MediaTypes.OciConfig, config)}},"layers":[{{string.Join(',', layers.Select(l => Descriptor(l.MediaType, l)))}}]}""";
        return Encoding.UTF8.GetBytes(text);
    }

    async Task<FetchedImage> StoreAsync(Prepared image, CancellationToken cancellationToken)
    {
        var result = new List<LayerDescriptor>(image.Layers.Count);
        foreach (var (blob, diffId) in image.Layers)
        {
            if (request.Blobs.Contains(blob.Digest))
            {
                request.Progress?.Report(new TransferProgress(blob.Digest, blob.Size, blob.Size, Reused: true));
            }
            else
            {
                await using var file = LayoutFiles.OpenRegular(blob.File, $"{source}: layer {blob.Digest}");
                request.Progress?.Report(new TransferProgress(blob.Digest, 0, blob.Size, Reused: false));
                await using var counted = new ProgressStream(file, blob.Digest, blob.Size, request.Progress);
                await PutAsync(counted, blob.Digest, blob.Size, $"layer {blob.Digest}", cancellationToken).ConfigureAwait(false);
            }
            result.Add(new LayerDescriptor(blob.Digest, blob.MediaType, blob.Size, diffId));
        }
        await PutSmallAsync(image.Config, image.ConfigDigest, "config", cancellationToken).ConfigureAwait(false);
        await PutSmallAsync(image.Manifest, image.ManifestDigest, "manifest", cancellationToken).ConfigureAwait(false);
        return new FetchedImage($"{source}@{image.ManifestDigest}", image.ManifestDigest, null, image.Platform, image.ConfigDigest, result);
    }

    async Task PutSmallAsync(byte[] bytes, string digest, string kind, CancellationToken cancellationToken)
    {
        if (request.Blobs.Contains(digest))
        {
            request.Progress?.Report(new TransferProgress(digest, bytes.Length, bytes.Length, Reused: true));
            return;
        }
        request.Progress?.Report(new TransferProgress(digest, 0, bytes.Length, Reused: false));
        await PutAsync(new MemoryStream(bytes, writable: false), digest, bytes.Length, $"{kind} {digest}", cancellationToken).ConfigureAwait(false);
        request.Progress?.Report(new TransferProgress(digest, bytes.Length, bytes.Length, Reused: false));
    }

    async Task PutAsync(Stream content, string digest, long size, string what, CancellationToken cancellationToken)
    {
        try
        {
            await request.Blobs.PutAsync(content, digest, size, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageSourceException e)
        {
            throw new ImageSourceException($"{source}: {what}: {e.Message}", e);
        }
    }
}
