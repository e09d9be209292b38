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
/// <para>The archive is not unpacked (<see cref="ArchiveIndex"/>): one pass indexes its members, then <c>manifest.json</c>
/// and the members the chosen image names are read in place (a plain tar) or, for a gzipped archive, spooled in one
/// more pass into <paramref name="tempDir"/> (private, deleted by the caller). Nothing is stored until every check
/// has passed.</para>
/// <para>Classic <c>docker save</c> writes a layer shared with an earlier image as <c>ID/layer.tar</c>, a symlink to
/// the other layer's member; such links are followed inside the archive. Docker 25+ archives are also OCI layouts
/// whose <c>manifest.json</c> paths point into <c>blobs/</c>; their content must match the digest in the name.</para>
/// <para>Hostile archives: a <c>Config</c>/<c>Layers</c> path that is absolute, has a <c>..</c> component, is not in the
/// tar, is a link leaving the archive or any other non-regular entry, or appears twice, is refused.</para>
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

    /// <summary>A member the image needs: its name in the archive (links are followed when it is opened), digest, size and media type.</summary>
    sealed record Extracted(string Member, string Digest, long Size, string MediaType);

    sealed record Prepared(ImageEntry Image, byte[] Config, string ConfigDigest, PlatformSpec Platform,
        IReadOnlyList<(Extracted Blob, string DiffId)> Layers, byte[] Manifest, string ManifestDigest);

    ArchiveIndex? _archive;
    readonly Dictionary<string, Extracted> _extracted = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _checkedDiffIds = new(StringComparer.Ordinal);

    ArchiveIndex Archive => _archive ?? throw new InvalidOperationException("the archive is not indexed yet");

    public async Task<FetchedImage> FetchAsync(string? reference, string? digest, CancellationToken cancellationToken)
    {
        _archive = await ArchiveIndex.OpenAsync(archive, source, tempDir, cancellationToken).ConfigureAwait(false);
        if (_archive.KindOf(ManifestJson) == LayoutFiles.Kind.Missing)
            throw new ImageSourceException($"{source}: not a docker save archive (no {ManifestJson})");
        var manifestJson = await _archive.ReadSmallAsync(ManifestJson, $"{source}: {ManifestJson}", OciLayoutReader.MaxJsonBytes, cancellationToken).ConfigureAwait(false);

        var images = ParseManifestJson(manifestJson);
        var candidates = digest is not null ? images : [Choose(images, reference)];

        var needed = candidates.SelectMany(i => i.Layers.Prepend(i.Config)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var path in needed)
        {
            if (_archive.KindOf(path) == LayoutFiles.Kind.Missing && !_archive.Names.Contains(path))
                throw new ImageSourceException($"{source}: '{Digests.Printable(path)}' named in {ManifestJson} is missing from the archive");
            _archive.Resolve(path, path);
        }
        await _archive.PrefetchAsync(needed, cancellationToken).ConfigureAwait(false);
        foreach (var path in needed) await HashMemberAsync(path, cancellationToken).ConfigureAwait(false);

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

    /// <summary>Strips <c>./</c> prefixes and empty components, the way tar writers differ.</summary>
    static string Normalise(string name) => string.Join('/', name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));

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

    /// <summary>Hashes a needed member where it lies (no copy) and sniffs its compression.</summary>
    async Task HashMemberAsync(string name, CancellationToken cancellationToken)
    {
        if (_extracted.ContainsKey(name)) return;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = new byte[4];
        var headLength = 0;
        long size = 0;
        await using (var data = await Archive.OpenAsync(name, name, cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 17];
            int read;
            while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; headLength < head.Length && i < read; i++) head[headLength++] = buffer[i];
                hash.AppendData(buffer, 0, read);
                size += read;
            }
        }
        var mediaType = headLength >= 2 && head[0] == 0x1f && head[1] == 0x8b ? GzipLayer
            : headLength == 4 && head is [0x28, 0xb5, 0x2f, 0xfd] ? ZstdLayer
            : TarLayer;
        _extracted[name] = new Extracted(name, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), size, mediaType);
    }

    /// <summary>Reads and checks the config and layers of <paramref name="image"/> and synthesises its manifest.</summary>
    async Task<Prepared> PrepareAsync(ImageEntry image, CancellationToken cancellationToken)
    {
        var configBlob = _extracted[image.Config];
        var what = $"{source}: config {image.Config}";
        CheckNamedDigest(image.Config, configBlob.Digest, what);
        var configBytes = await Archive.ReadSmallAsync(configBlob.Member, what, OciLayoutReader.MaxJsonBytes, cancellationToken).ConfigureAwait(false);
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
        await using var file = await Archive.OpenAsync(blob.Member, path, cancellationToken).ConfigureAwait(false);
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
                await using var file = await Archive.OpenAsync(blob.Member, blob.Member, cancellationToken).ConfigureAwait(false);
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
