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
    public const long MaxJsonBytes = ImageDocuments.MaxJsonBytes;

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
        return ImageDocuments.ParseIndex(bytes, $"{source}: index.json", expectedMediaType: null);
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
    /// Chooses the platform manifest among <paramref name="entries"/> (<see cref="PlatformSelector"/>). Returns the
    /// manifest and the digest of the index it was listed in (null for <c>index.json</c> itself).
    /// </summary>
    Task<(Descriptor Manifest, string? IndexDigest)> SelectAsync(
        IReadOnlyList<Descriptor> entries, string? indexDigest, int depth, CancellationToken cancellationToken) =>
        new PlatformSelector(source, request.Platform, ReadIndexBlobAsync).SelectAsync(entries, indexDigest, depth, cancellationToken);

    async Task<IReadOnlyList<Descriptor>> ReadIndexBlobAsync(Descriptor descriptor, int depth, CancellationToken cancellationToken)
    {
        if (depth >= ImageDocuments.MaxIndexDepth)
            throw new ImageSourceException($"{source}: indexes nested more than {ImageDocuments.MaxIndexDepth} deep (at {descriptor.Digest})");
        var bytes = await ReadJsonBlobAsync(descriptor.Digest, descriptor.Size, "index", cancellationToken).ConfigureAwait(false);
        return ImageDocuments.ParseIndex(bytes, $"{source}: index {descriptor.Digest}", descriptor.MediaType);
    }

    /// <summary>For <c>PATH@DIGEST</c> naming a blob that index.json does not list (e.g. a platform manifest): its media type from its content.</summary>
    async Task<Descriptor> DescribeBlobAsync(string digest, CancellationToken cancellationToken)
    {
        var bytes = await ReadJsonBlobAsync(digest, null, "manifest", cancellationToken).ConfigureAwait(false);
        var mediaType = ImageDocuments.SniffMediaType(bytes, $"{source}: manifest {digest}");
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType))
            throw new ImageSourceException($"{source}: {digest} is not an image manifest or index (media type {Digests.Printable(mediaType)})");
        return new Descriptor(mediaType, digest, bytes.Length, null, null, []);
    }

    async Task<FetchedImage> FetchManifestAsync(Descriptor manifest, string? indexDigest, CancellationToken cancellationToken)
    {
        var what = $"{source}: manifest {manifest.Digest}";
        if (MediaTypes.IsSchema1(manifest.MediaType))
            throw new ImageSourceException(ImageDocuments.Schema1Message(what));
        if (!MediaTypes.IsManifest(manifest.MediaType))
            throw new ImageSourceException($"{what}: unsupported media type {Digests.Printable(manifest.MediaType)}");

        var bytes = await ReadJsonBlobAsync(manifest.Digest, manifest.Size, "manifest", cancellationToken).ConfigureAwait(false);
        var (config, layers) = ImageDocuments.ParseManifest(bytes, what, manifest.MediaType);
        var configBytes = await ReadJsonBlobAsync(config.Digest, config.Size, "config", cancellationToken).ConfigureAwait(false);
        var (platform, diffIds) = ImageDocuments.ParseConfig(configBytes, $"{source}: config {config.Digest}", layers.Count);
        platform = ImageDocuments.CheckPlatform(platform, request.Platform, manifest.Platform, source);

        var result = new List<LayerDescriptor>(layers.Count);
        await files.PrefetchAsync(layers.Where(l => !Blobs.Contains(l.Digest)).Select(l => BlobPath(l.Digest)), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < layers.Count; i++)
        {
            await CopyLayerAsync(layers[i], i, cancellationToken).ConfigureAwait(false);
            result.Add(new LayerDescriptor(layers[i].Digest, layers[i].MediaType, layers[i].Size, diffIds[i]));
        }

        return new FetchedImage($"{source}@{manifest.Digest}", manifest.Digest, indexDigest, platform, config.Digest, result);
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
