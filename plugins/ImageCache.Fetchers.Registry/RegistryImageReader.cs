using System.Net;
using System.Net.Http.Headers;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// Resolves one platform image of a registry repository (oci-rules §3.2, §3.4) and puts every blob it reads (indexes,
/// the manifest, the config, the layers) into the blob store, each verified against its digest before it is visible.
/// With <see cref="FetchRequest.LayersNeeded"/> false the layers are left out (their descriptors are still returned).
/// </summary>
internal sealed class RegistryImageReader(RegistryReference reference, RegistryClient client, FetchRequest request, RegistryFetcherOptions options)
{
    /// <summary>Every manifest type we handle, so no registry down-converts to schema 1 or hides an index (oci-rules §3.9).</summary>
    static readonly string[] ManifestAccept =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    sealed record Document(byte[] Bytes, string Digest, string MediaType);

    IBlobStore Blobs => request.Blobs;

    string Source => reference.ToString();

    public async Task<FetchedImage> FetchAsync(CancellationToken cancellationToken)
    {
        var top = await ReadManifestAsync(reference.ManifestReference, reference.Digest, null, null, cancellationToken).ConfigureAwait(false);
        var manifest = top;
        string? indexDigest = null;
        PlatformSpec? listed = null;
        if (MediaTypes.IsIndex(top.MediaType))
        {
            var entries = ImageDocuments.ParseIndex(top.Bytes, $"{Source}: index {top.Digest}", top.MediaType);
            var selector = new PlatformSelector(Source, request.Platform, ReadNestedIndexAsync);
            var (chosen, listedIn) = await selector.SelectAsync(entries, top.Digest, 1, cancellationToken).ConfigureAwait(false);
            if (MediaTypes.IsSchema1(chosen.MediaType)) throw new ImageSourceException(ImageDocuments.Schema1Message($"{Source}: manifest {chosen.Digest}"));
            manifest = await ReadManifestAsync(chosen.Digest, chosen.Digest, chosen.MediaType, chosen.Size, cancellationToken).ConfigureAwait(false);
            indexDigest = listedIn;
            listed = chosen.Platform;
        }

        var what = $"{Source}: manifest {manifest.Digest}";
        if (!MediaTypes.IsManifest(manifest.MediaType))
            throw new ImageSourceException($"{what}: unsupported manifest type {Digests.Printable(manifest.MediaType)}");
        var (config, layers) = ImageDocuments.ParseManifest(manifest.Bytes, what, manifest.MediaType);
        var configBytes = await ReadConfigAsync(config, cancellationToken).ConfigureAwait(false);
        var (platform, diffIds) = ImageDocuments.ParseConfig(configBytes, $"{Source}: config {config.Digest}", layers.Count);
        platform = ImageDocuments.CheckPlatform(platform, request.Platform, listed, Source);

        // Resolve-only (the host looks for a prebuilt baseline first): the manifest and config are stored, the layers not.
        if (request.LayersNeeded) await DownloadLayersAsync(layers, cancellationToken).ConfigureAwait(false);
        var result = layers.Select((l, i) => new LayerDescriptor(l.Digest, l.MediaType, l.Size, diffIds.Count > i ? diffIds[i] : null)).ToList();
        return new FetchedImage($"{reference.Name}@{manifest.Digest}", manifest.Digest, indexDigest, platform, config.Digest, result);
    }

    async Task<IReadOnlyList<Descriptor>> ReadNestedIndexAsync(Descriptor descriptor, int depth, CancellationToken cancellationToken)
    {
        var document = await ReadManifestAsync(descriptor.Digest, descriptor.Digest, descriptor.MediaType, descriptor.Size, cancellationToken).ConfigureAwait(false);
        return ImageDocuments.ParseIndex(document.Bytes, $"{Source}: index {descriptor.Digest}", descriptor.MediaType);
    }

    /// <summary>
    /// A manifest or index by tag or digest. The digest is computed over the exact bytes received and checked against
    /// the requested digest and <c>Docker-Content-Digest</c>; a manifest already in the store is read from there when it
    /// was asked for by digest (a tag must always be asked: it may have moved).
    /// </summary>
    async Task<Document> ReadManifestAsync(string manifestReference, string? expectedDigest, string? descriptorMediaType, long? size, CancellationToken cancellationToken)
    {
        var what = $"{Source}: manifest {manifestReference}";
        if (size > ImageDocuments.MaxJsonBytes)
            throw new ImageSourceException($"{what} is {size} bytes, over the {ImageDocuments.MaxJsonBytes >> 20} MiB limit for manifests, indexes and configs");
        if (expectedDigest is not null && Blobs.Contains(expectedDigest))
        {
            var stored = await ReadStoredAsync(expectedDigest, what, cancellationToken).ConfigureAwait(false);
            return new Document(stored, expectedDigest, descriptorMediaType ?? ImageDocuments.SniffMediaType(stored, what));
        }

        using var response = await client.GetDocumentAsync(client.RepositoryUri($"manifests/{manifestReference}"), what, message =>
        {
            foreach (var type in ManifestAccept) message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }, ImageDocuments.MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) throw await FailureAsync(response, what, isManifest: true, cancellationToken).ConfigureAwait(false);

        var contentType = response.Content.Headers.ContentType?.MediaType; // parameters ignored (distribution-spec)
        if (MediaTypes.IsSchema1(contentType)) throw new ImageSourceException(ImageDocuments.Schema1Message(what));
        var bytes = await RegistryClient.ReadBoundedAsync(response, ImageDocuments.MaxJsonBytes, what, cancellationToken).ConfigureAwait(false);

        var digest = Digests.Compute(bytes, expectedDigest ?? "sha256:");
        if (expectedDigest is not null && digest != expectedDigest)
            throw new ImageSourceException($"{what}: digest mismatch: expected {expectedDigest}, got {digest}; nothing stored");
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var headerValues) && headerValues.FirstOrDefault()?.Trim() is { Length: > 0 } header)
        {
            if (!Digests.IsValid(header))
                throw new ImageSourceException($"{what}: the registry sent an invalid Docker-Content-Digest '{Digests.Printable(header)}'");
            var actual = Digests.Compute(bytes, header);
            if (actual != header)
                throw new ImageSourceException($"{what}: digest mismatch: the registry's Docker-Content-Digest says {header}, the content is {actual}; nothing stored");
        }
        if (size is { } expectedSize && bytes.Length != expectedSize)
            throw new ImageSourceException($"{what}: size mismatch: the index says {expectedSize} bytes, got {bytes.Length}; nothing stored");

        var bodyType = ImageDocuments.SniffMediaType(bytes, what); // refuses schema 1 bodies
        if ((MediaTypes.IsIndex(contentType) || MediaTypes.IsManifest(contentType)) && bodyType != contentType && HasMediaType(bytes))
            throw new ImageSourceException($"{what}: media type mismatch: Content-Type is {contentType}, the content says {Digests.Printable(bodyType)}");
        var mediaType = HasMediaType(bytes) ? bodyType
            : MediaTypes.IsIndex(contentType) || MediaTypes.IsManifest(contentType) ? contentType! : bodyType;
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType))
            throw new ImageSourceException($"{what}: unsupported manifest type {Digests.Printable(mediaType)}");

        await PutAsync(new MemoryStream(bytes, writable: false), digest, bytes.Length, what, cancellationToken).ConfigureAwait(false);
        return new Document(bytes, digest, mediaType);
    }

    static bool HasMediaType(byte[] bytes)
    {
        using var document = Json.Parse(bytes, "manifest");
        return Json.String(document.RootElement, "mediaType") is not null;
    }

    async Task<byte[]> ReadConfigAsync(Descriptor config, CancellationToken cancellationToken)
    {
        var what = $"{Source}: config {config.Digest}";
        if (config.Size > ImageDocuments.MaxJsonBytes)
            throw new ImageSourceException($"{what} is {config.Size} bytes, over the {ImageDocuments.MaxJsonBytes >> 20} MiB limit for manifests, indexes and configs");
        if (Blobs.Contains(config.Digest))
        {
            request.Progress?.Report(new TransferProgress(config.Digest, config.Size, config.Size, Reused: true));
            return await ReadStoredAsync(config.Digest, what, cancellationToken).ConfigureAwait(false);
        }
        using var response = await client.GetDocumentAsync(client.RepositoryUri($"blobs/{config.Digest}"), what, null, ImageDocuments.MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) throw await FailureAsync(response, what, isManifest: false, cancellationToken).ConfigureAwait(false);
        var bytes = await RegistryClient.ReadBoundedAsync(response, ImageDocuments.MaxJsonBytes, what, cancellationToken).ConfigureAwait(false);
        var actual = Digests.Compute(bytes, config.Digest);
        if (actual != config.Digest)
            throw new ImageSourceException($"{what}: digest mismatch: expected {config.Digest}, got {actual}; nothing stored");
        await PutAsync(new MemoryStream(bytes, writable: false), config.Digest, config.Size, what, cancellationToken).ConfigureAwait(false);
        request.Progress?.Report(new TransferProgress(config.Digest, bytes.Length, bytes.Length, Reused: false));
        return bytes;
    }

    async Task<byte[]> ReadStoredAsync(string digest, string what, CancellationToken cancellationToken)
    {
        await using var stored = Blobs.OpenRead(digest);
        var buffer = new MemoryStream();
        await stored.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length > ImageDocuments.MaxJsonBytes) throw new ImageSourceException($"{what} is over the {ImageDocuments.MaxJsonBytes >> 20} MiB limit");
        return buffer.ToArray();
    }

    /// <summary>Downloads the layers the store lacks, at most <see cref="RegistryFetcherOptions.MaxParallelDownloads"/> at a time.</summary>
    async Task DownloadLayersAsync(IReadOnlyList<Descriptor> layers, CancellationToken cancellationToken)
    {
        var missing = new List<(Descriptor Layer, int Index)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < layers.Count; i++)
        {
            if (Blobs.Contains(layers[i].Digest))
                request.Progress?.Report(new TransferProgress(layers[i].Digest, layers[i].Size, layers[i].Size, Reused: true));
            else if (seen.Add(layers[i].Digest))
                missing.Add((layers[i], i));
        }
        if (missing.Count == 0) return; // a warm pull: no thread-pool fan-out (Parallel's generic code is JIT-compiled in every process)
        await Parallel.ForEachAsync(missing,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelDownloads), CancellationToken = cancellationToken },
            async (item, token) => await DownloadLayerAsync(item.Layer, item.Index, token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    async Task DownloadLayerAsync(Descriptor layer, int index, CancellationToken cancellationToken)
    {
        var what = $"{Source}: layer {index} ({layer.Digest})";
        request.Progress?.Report(new TransferProgress(layer.Digest, 0, layer.Size, Reused: false));
        var failures = new List<string>();
        // Foreign layers (descriptor urls, oci-rules §3.4): from their URLs first, never with the registry's credential;
        // the registry itself is the fallback (many registries do hold them).
        foreach (var url in layer.Urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            {
                failures.Add($"{Digests.Printable(url)}: not an http(s) URL");
                continue;
            }
            try
            {
                await DownloadAsync(uri, layer, $"{what} from {RegistryClient.Redact(uri)}", cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ImageSourceException e)
            {
                failures.Add(e.Message);
            }
        }
        try
        {
            await DownloadAsync(client.RepositoryUri($"blobs/{layer.Digest}"), layer, what, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageSourceException e) when (failures.Count > 0)
        {
            throw new ImageSourceException($"{e.Message} (its foreign URLs failed too: {string.Join("; ", failures)})", e);
        }
    }

    async Task DownloadAsync(Uri uri, Descriptor layer, string what, CancellationToken cancellationToken)
    {
        await using var download = new ResumableDownloadStream(async (offset, token) =>
        {
            var response = await client.GetAsync(uri, what, message =>
            {
                if (offset > 0) message.Headers.Range = new RangeHeaderValue(offset, null);
            }, token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent) return response;
            using (response) throw await FailureAsync(response, what, isManifest: false, token).ConfigureAwait(false);
        }, layer.Size, what, options);
        await using var counted = new ProgressStream(download, layer.Digest, layer.Size, request.Progress);
        await PutAsync(counted, layer.Digest, layer.Size, what, cancellationToken).ConfigureAwait(false);
    }

    async Task PutAsync(Stream content, string digest, long size, string what, CancellationToken cancellationToken)
    {
        try
        {
            await Blobs.PutAsync(content, digest, size, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageSourceException e) when (!e.Message.StartsWith(what, StringComparison.Ordinal))
        {
            throw new ImageSourceException($"{what}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Registries answer an unknown repository's manifest with MANIFEST_UNKNOWN too (distribution 2.8); its tag list
    /// tells them apart (NAME_UNKNOWN). Any other answer, or a failure, keeps the "unknown tag" reading.
    /// </summary>
    async Task<bool> RepositoryIsUnknownAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetAsync(client.RepositoryUri("tags/list?n=1"), $"{Source}: tag list", null, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.NotFound) return false;
            return (await RegistryClient.ErrorAsync(response, cancellationToken).ConfigureAwait(false)).Code == "NAME_UNKNOWN";
        }
        catch (ImageSourceException)
        {
            return false;
        }
    }

    /// <summary>An error that names what is missing: unknown repository, unknown tag or manifest, unknown blob, denied.</summary>
    async Task<ImageSourceException> FailureAsync(HttpResponseMessage response, string what, bool isManifest, CancellationToken cancellationToken)
    {
        var (code, message) = await RegistryClient.ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        var detail = code is null && message is null ? "" : $" ({$"{code} {message}".Trim()})";
        var status = (int)response.StatusCode;
        if (status == 404 && code == "NAME_UNKNOWN")
            return new ImageSourceException($"unknown repository: {reference.Name} does not exist on {reference.Registry}{detail}");
        if (status == 404 && isManifest && await RepositoryIsUnknownAsync(cancellationToken).ConfigureAwait(false))
            return new ImageSourceException($"unknown repository: {reference.Name} does not exist on {reference.Registry}{detail}");
        if (status == 404 && isManifest)
            return new ImageSourceException(reference.Digest is null && what.EndsWith(reference.ManifestReference, StringComparison.Ordinal)
                ? $"unknown tag: {reference.Name} has no tag '{reference.Tag}'{detail}"
                : $"unknown manifest: {what} is not in {reference.Name}{detail}");
        if (status == 404)
            return new ImageSourceException($"{what}: the blob is not in {reference.Name}{detail}");
        if (status == 403)
            return new ImageSourceException($"access denied: {what}{detail}");
        return new ImageSourceException($"{what}: the registry answered HTTP {status} {response.ReasonPhrase}{detail}");
    }
}
