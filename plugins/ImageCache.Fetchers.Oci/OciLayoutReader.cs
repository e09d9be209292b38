using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// Resolves one platform image in an OCI image layout (image-layout.md, oci-rules §3.4, §3.7) and copies every blob
/// it reads (nested indexes, the manifest, the config, the layers) into the host's blob store, verified.
/// </summary>
/// <param name="files">Where the layout's files are: a directory, or an archive read in place.</param>
/// <param name="source">How errors and the resolved reference name the source: <c>oci:/abs/dir</c> or <c>oci-archive:/abs/file</c>.</param>
/// <param name="request">The fetch request (blob store, platform, progress).</param>
internal sealed class OciLayoutReader(ILayoutSource files, string source, FetchRequest request)
{
    /// <summary>Cap on manifests, indexes and configs (issue #3: 4 MiB); also on <c>index.json</c>.</summary>
    public const long MaxJsonBytes = 4 << 20;

    /// <summary>Nested indexes deeper than this are refused (a cycle of indexes cannot exist, but a long chain can).</summary>
    const int MaxIndexDepth = 8;

    public const string SupportedLayoutVersion = "1.0.0";

    IBlobStore Blobs => request.Blobs;

    /// <summary>Resolves the image named by <paramref name="reference"/> or <paramref name="digest"/> (or the only one).</summary>
    public async Task<FetchedImage> FetchAsync(string? reference, string? digest, CancellationToken cancellationToken)
    {
        await CheckLayoutAsync(cancellationToken).ConfigureAwait(false);
        var top = await ReadIndexJsonAsync(cancellationToken).ConfigureAwait(false);

        Descriptor? chosen;
        string? indexDigest = null;
        if (digest is not null)
        {
            chosen = top.FirstOrDefault(d => d.Digest == digest) ?? await DescribeBlobAsync(digest, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var candidates = Candidates(top, reference);
            chosen = candidates.Count == 1 ? candidates[0] : null;
            if (chosen is null)
            {
                // Several platform manifests under one name directly in index.json (some tools write them so): choose by platform.
                (chosen, indexDigest) = await SelectAsync(candidates, null, 0, cancellationToken).ConfigureAwait(false);
            }
        }

        if (MediaTypes.IsIndex(chosen.MediaType))
        {
            var entries = await ReadIndexBlobAsync(chosen, 0, cancellationToken).ConfigureAwait(false);
            (chosen, indexDigest) = await SelectAsync(entries, chosen.Digest, 1, cancellationToken).ConfigureAwait(false);
        }

        return await FetchManifestAsync(chosen, indexDigest, cancellationToken).ConfigureAwait(false);
    }

    async Task CheckLayoutAsync(CancellationToken cancellationToken)
    {
        files.CheckRoot(source);
        var path = "oci-layout";
        if (files.KindOf(path) == LayoutFiles.Kind.Missing)
            throw new ImageSourceException($"{source}: not an OCI image layout (no oci-layout file)");
        var bytes = await files.ReadSmallAsync(path, $"{source}: oci-layout", 64 << 10, cancellationToken).ConfigureAwait(false);
        using var document = Json.Parse(bytes, $"{source}: oci-layout");
        var version = Json.String(document.RootElement, "imageLayoutVersion");
        if (version != SupportedLayoutVersion)
            throw new ImageSourceException(
                $"{source}: unsupported imageLayoutVersion '{Digests.Printable(version ?? "(none)")}' in oci-layout (expected {SupportedLayoutVersion})");
    }

    async Task<IReadOnlyList<Descriptor>> ReadIndexJsonAsync(CancellationToken cancellationToken)
    {
        var path = "index.json";
        if (files.KindOf(path) == LayoutFiles.Kind.Missing)
            throw new ImageSourceException($"{source}: not an OCI image layout (no index.json)");
        var bytes = await files.ReadSmallAsync(path, $"{source}: index.json", MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        return ParseIndex(bytes, $"{source}: index.json", expectedMediaType: null);
    }

    /// <summary>The entries of <c>index.json</c> that may be the image: those named <paramref name="reference"/>, or all.</summary>
    List<Descriptor> Candidates(IReadOnlyList<Descriptor> top, string? reference)
    {
        var images = top.Where(d => MediaTypes.IsIndex(d.MediaType) || MediaTypes.IsManifest(d.MediaType) || MediaTypes.IsSchema1(d.MediaType)).ToList();
        var names = images.Select(d => d.RefName).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (reference is not null)
        {
            var named = images.Where(d => d.RefName == reference).ToList();
            if (named.Count == 0)
                throw new ImageSourceException(names.Count == 0
                    ? $"{source}: no image named '{reference}' (the layout's index.json has no ref names)"
                    : $"{source}: no image named '{reference}'; the layout has: {string.Join(", ", names.Select(Digests.Printable))}");
            return named;
        }

        if (images.Count == 0)
            throw new ImageSourceException($"{source}: the layout holds no image (index.json lists no manifest)");
        var distinct = images.Select(d => d.RefName).Distinct(StringComparer.Ordinal).Count();
        if (distinct > 1)
            throw new ImageSourceException(
                $"{source}: the layout holds {images.Count} images; name one with {source}:REF (refs: {(names.Count == 0 ? "none" : string.Join(", ", names.Select(Digests.Printable)))}"
                + (images.Any(d => d.RefName is null) ? ", and unnamed ones; use @DIGEST)" : ")"));
        return images;
    }

    /// <summary>
    /// Chooses the platform manifest among <paramref name="entries"/>: the first manifest whose platform matches the
    /// wanted one, looking into nested indexes in document order; attestation entries (<c>unknown/unknown</c>) never.
    /// Returns the manifest and the digest of the index it was listed in (null for <c>index.json</c> itself).
    /// </summary>
    async Task<(Descriptor Manifest, string? IndexDigest)> SelectAsync(
        IReadOnlyList<Descriptor> entries, string? indexDigest, int depth, CancellationToken cancellationToken)
    {
        var wanted = request.Platform ?? Platforms.Host;
        var available = new List<string>();
        var found = await SearchAsync(entries, indexDigest, depth, wanted, available, cancellationToken).ConfigureAwait(false);
        if (found is { } hit) return hit;
        var list = available.Distinct(StringComparer.Ordinal).ToList();
        throw new ImageSourceException(
            $"{source}: no image for platform {wanted}{(request.Platform is null ? " (the host's; choose another with --platform)" : "")}; "
            + $"available: {(list.Count == 0 ? "none" : string.Join(", ", list))}");
    }

    async Task<(Descriptor, string?)?> SearchAsync(
        IReadOnlyList<Descriptor> entries, string? indexDigest, int depth, PlatformSpec wanted, List<string> available, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            if (MediaTypes.IsManifest(entry.MediaType) || MediaTypes.IsSchema1(entry.MediaType))
            {
                if (entry.Platform is not { } platform) { available.Add("(a manifest without platform)"); continue; }
                if (Platforms.IsUnknown(platform)) continue;
                available.Add(platform.ToString());
                if (Platforms.Matches(wanted, platform)) return (entry, indexDigest);
            }
            else if (MediaTypes.IsIndex(entry.MediaType))
            {
                if (entry.Platform is { } platform && (Platforms.IsUnknown(platform) || !Platforms.Matches(wanted, platform))) continue;
                var nested = await ReadIndexBlobAsync(entry, depth, cancellationToken).ConfigureAwait(false);
                var hit = await SearchAsync(nested, entry.Digest, depth + 1, wanted, available, cancellationToken).ConfigureAwait(false);
                if (hit is not null) return hit;
            }
            // Unknown media types (artifacts, signatures) are skipped, not errors (image-index.md).
        }
        return null;
    }

    async Task<IReadOnlyList<Descriptor>> ReadIndexBlobAsync(Descriptor descriptor, int depth, CancellationToken cancellationToken)
    {
        if (depth >= MaxIndexDepth)
            throw new ImageSourceException($"{source}: indexes nested more than {MaxIndexDepth} deep (at {descriptor.Digest})");
        var bytes = await ReadJsonBlobAsync(descriptor.Digest, descriptor.Size, "index", cancellationToken).ConfigureAwait(false);
        return ParseIndex(bytes, $"{source}: index {descriptor.Digest}", descriptor.MediaType);
    }

    IReadOnlyList<Descriptor> ParseIndex(byte[] bytes, string what, string? expectedMediaType)
    {
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        CheckSchema(root, what);
        var mediaType = Json.String(root, "mediaType");
        if (mediaType is not null && (expectedMediaType is null ? !MediaTypes.IsIndex(mediaType) : mediaType != expectedMediaType))
            throw new ImageSourceException($"{what}: media type mismatch: the descriptor says {expectedMediaType ?? "an index"}, the content says {Digests.Printable(mediaType)}");
        if (Json.Property(root, "manifests", JsonValueKind.Array) is not { } manifests)
        {
            // `"manifests": null` was written by `docker save IMAGE@DIGEST` (moby#47210): an empty index, not a crash.
            if (root.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Null) return [];
            if (root.TryGetProperty("layers", out _))
                throw new ImageSourceException($"{what}: media type mismatch: the descriptor says {expectedMediaType ?? "an index"}, the content is a manifest");
            throw new ImageSourceException($"{what} has no manifests array");
        }
        return [.. manifests.EnumerateArray().Select((e, i) => Descriptor.Parse(e, $"{what}: manifests[{i}]"))];
    }

    void CheckSchema(JsonElement root, string what)
    {
        var schema = Json.Int64(root, "schemaVersion");
        if (schema == 1 || MediaTypes.IsSchema1(Json.String(root, "mediaType")))
            throw new ImageSourceException(
                $"{what} is a Docker schema 1 manifest, which is not supported (deprecated since 2017); convert the image to a schema 2 or OCI manifest first");
        if (schema != 2)
            throw new ImageSourceException($"{what}: unsupported schemaVersion {(schema?.ToString() ?? "(none)")} (expected 2)");
    }

    /// <summary>For <c>PATH@DIGEST</c> naming a blob that index.json does not list (e.g. a platform manifest): its media type from its content.</summary>
    async Task<Descriptor> DescribeBlobAsync(string digest, CancellationToken cancellationToken)
    {
        var bytes = await ReadJsonBlobAsync(digest, null, "manifest", cancellationToken).ConfigureAwait(false);
        using var document = Json.Parse(bytes, $"{source}: manifest {digest}");
        var root = document.RootElement;
        CheckSchema(root, $"{source}: manifest {digest}");
        var mediaType = Json.String(root, "mediaType")
            ?? (root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest);
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType))
            throw new ImageSourceException($"{source}: {digest} is not an image manifest or index (media type {Digests.Printable(mediaType)})");
        return new Descriptor(mediaType, digest, bytes.Length, null, null, false);
    }

    async Task<FetchedImage> FetchManifestAsync(Descriptor manifest, string? indexDigest, CancellationToken cancellationToken)
    {
        var what = $"{source}: manifest {manifest.Digest}";
        if (MediaTypes.IsSchema1(manifest.MediaType))
            throw new ImageSourceException(
                $"{what} is a Docker schema 1 manifest, which is not supported (deprecated since 2017); convert the image to a schema 2 or OCI manifest first");
        if (!MediaTypes.IsManifest(manifest.MediaType))
            throw new ImageSourceException($"{what}: unsupported media type {Digests.Printable(manifest.MediaType)}");

        var bytes = await ReadJsonBlobAsync(manifest.Digest, manifest.Size, "manifest", cancellationToken).ConfigureAwait(false);
        Descriptor config;
        List<Descriptor> layers;
        using (var document = Json.Parse(bytes, what))
        {
            var root = document.RootElement;
            CheckSchema(root, what);
            var mediaType = Json.String(root, "mediaType");
            if (root.TryGetProperty("manifests", out _) || (mediaType is not null && mediaType != manifest.MediaType))
                throw new ImageSourceException(
                    $"{what}: media type mismatch: the descriptor says {manifest.MediaType}, the content says {Digests.Printable(mediaType ?? "an index")}");
            if (Json.Property(root, "config", JsonValueKind.Object) is not { } configElement)
                throw new ImageSourceException($"{what} has no config");
            config = Descriptor.Parse(configElement, $"{what}: config");
            if (!MediaTypes.IsConfig(config.MediaType))
                throw new ImageSourceException(
                    $"{what} is an artifact, not a container image (config media type {Digests.Printable(config.MediaType)})");
            if (Json.Property(root, "layers", JsonValueKind.Array) is not { } layersElement)
                throw new ImageSourceException($"{what} has no layers array");
            layers = [.. layersElement.EnumerateArray().Select((e, i) => Descriptor.Parse(e, $"{what}: layers[{i}]"))];
            foreach (var (layer, i) in layers.Select((l, i) => (l, i)))
            {
                if (!MediaTypes.IsLayer(layer.MediaType))
                    throw new ImageSourceException($"{what}: layers[{i}] has an unsupported media type {Digests.Printable(layer.MediaType)}");
            }
        }

        var (platform, diffIds) = await ReadConfigAsync(config, layers.Count, cancellationToken).ConfigureAwait(false);
        if (request.Platform is { } wanted
            && (wanted.Os != platform.Os || wanted.Architecture != platform.Architecture))
            throw new ImageSourceException($"{source}: the image is for {platform}, not the requested {wanted}");
        if (platform.Variant.Length == 0 && manifest.Platform is { Variant.Length: > 0 } listed
            && listed.Os == platform.Os && listed.Architecture == platform.Architecture)
            platform = platform with { Variant = listed.Variant };

        var result = new List<LayerDescriptor>(layers.Count);
        await files.PrefetchAsync(layers.Where(l => !Blobs.Contains(l.Digest)).Select(l => BlobPath(l.Digest)), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < layers.Count; i++)
        {
            await CopyLayerAsync(layers[i], i, cancellationToken).ConfigureAwait(false);
            result.Add(new LayerDescriptor(layers[i].Digest, layers[i].MediaType, layers[i].Size, diffIds[i]));
        }

        return new FetchedImage($"{source}@{manifest.Digest}", manifest.Digest, indexDigest, platform, config.Digest, result);
    }

    async Task<(PlatformSpec Platform, IReadOnlyList<string> DiffIds)> ReadConfigAsync(Descriptor config, int layerCount, CancellationToken cancellationToken)
    {
        var what = $"{source}: config {config.Digest}";
        var bytes = await ReadJsonBlobAsync(config.Digest, config.Size, "config", cancellationToken).ConfigureAwait(false);
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        if (Json.Property(root, "rootfs", JsonValueKind.Object) is not { } rootfs)
            throw new ImageSourceException($"{what} has no rootfs");
        var type = Json.String(rootfs, "type");
        if (type != "layers")
            throw new ImageSourceException($"{what}: rootfs.type is '{Digests.Printable(type ?? "(none)")}', expected 'layers'");
        if (Json.Property(rootfs, "diff_ids", JsonValueKind.Array) is not { } diffIdsElement)
        {
            if (layerCount == 0) return (PlatformOf(root, what), []);
            throw new ImageSourceException($"{what} has no rootfs.diff_ids");
        }
        var diffIds = diffIdsElement.EnumerateArray()
            .Select((e, i) => Digests.Require(e.ValueKind == JsonValueKind.String ? e.GetString() : null, $"{what}: rootfs.diff_ids[{i}]"))
            .ToList();
        if (diffIds.Count != layerCount)
            throw new ImageSourceException($"{what}: rootfs.diff_ids has {diffIds.Count} entries but the manifest has {layerCount} layers");
        return (PlatformOf(root, what), diffIds);
    }

    static PlatformSpec PlatformOf(JsonElement root, string what)
    {
        var os = Json.String(root, "os");
        var architecture = Json.String(root, "architecture");
        if (string.IsNullOrEmpty(os) || string.IsNullOrEmpty(architecture))
            throw new ImageSourceException($"{what} does not state its os and architecture");
        return new PlatformSpec(os, architecture, Json.String(root, "variant") ?? "");
    }

    /// <summary>
    /// Reads a manifest, index or config (at most <see cref="MaxJsonBytes"/>), checks its size and digest, and stores
    /// it. A blob the store already has is read from the store instead (reported as reused).
    /// </summary>
    async Task<byte[]> ReadJsonBlobAsync(string digest, long? size, string kind, CancellationToken cancellationToken)
    {
        var what = $"{source}: {kind} {digest}";
        if (size > MaxJsonBytes)
            throw new ImageSourceException($"{what} is {size} bytes, over the {MaxJsonBytes >> 20} MiB limit for manifests, indexes and configs");

        byte[] bytes;
        var reused = Blobs.Contains(digest);
        if (reused)
        {
            await using var stored = Blobs.OpenRead(digest);
            bytes = await LayoutFiles.ReadBoundedAsync(stored, what, MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            bytes = await files.ReadSmallAsync(BlobPath(digest), $"{what} (blob)", MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        }

        // Checked here as well as by PutAsync: the store does not read content it already has, and these bytes are parsed.
        if (size is { } expected && bytes.Length != expected)
            throw new ImageSourceException($"{what} has the wrong size: expected {expected} bytes, got {bytes.Length}");
        var actual = Digests.Compute(bytes, digest);
        if (actual != digest)
            throw new ImageSourceException($"{what}: digest mismatch: expected {digest}, got {actual}");

        if (reused)
        {
            request.Progress?.Report(new TransferProgress(digest, bytes.Length, bytes.Length, Reused: true));
        }
        else
        {
            request.Progress?.Report(new TransferProgress(digest, 0, bytes.Length, Reused: false));
            await PutAsync(new MemoryStream(bytes, writable: false), digest, bytes.Length, what, cancellationToken).ConfigureAwait(false);
            request.Progress?.Report(new TransferProgress(digest, bytes.Length, bytes.Length, Reused: false));
        }
        return bytes;
    }

    async Task CopyLayerAsync(Descriptor layer, int index, CancellationToken cancellationToken)
    {
        if (Blobs.Contains(layer.Digest))
        {
            request.Progress?.Report(new TransferProgress(layer.Digest, layer.Size, layer.Size, Reused: true));
            return;
        }

        var what = $"{source}: layer {index} ({layer.Digest})";
        var path = BlobPath(layer.Digest);
        if (layer.HasUrls && files.KindOf(path) == LayoutFiles.Kind.Missing)
            throw new ImageSourceException($"{what} is a foreign layer (it has urls) and is not in the layout; foreign layers are not downloaded by this transport");
        await using var file = await files.OpenAsync(path, $"{what} (blob)", cancellationToken).ConfigureAwait(false);
        request.Progress?.Report(new TransferProgress(layer.Digest, 0, layer.Size, Reused: false));
        await using var counted = new ProgressStream(file, layer.Digest, layer.Size, request.Progress);
        await PutAsync(counted, layer.Digest, layer.Size, what, cancellationToken).ConfigureAwait(false);
    }

    async Task PutAsync(Stream content, string digest, long size, string what, CancellationToken cancellationToken)
    {
        try
        {
            await Blobs.PutAsync(content, digest, size, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageSourceException e)
        {
            throw new ImageSourceException($"{what}: {e.Message}", e);
        }
    }

    /// <summary>The layout-relative path of a blob (<c>blobs/ALG/HEX</c>); the digest is validated, so it has no separators.</summary>
    static string BlobPath(string digest)
    {
        var colon = digest.IndexOf(':');
        return $"blobs/{digest[..colon]}/{digest[(colon + 1)..]}";
    }
}
