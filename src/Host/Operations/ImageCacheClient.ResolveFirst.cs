using ImageCache.Contracts;
using ImageCache.Host.Storage;

namespace ImageCache.Host.Operations;

public sealed partial class ImageCacheClient
{
    /// <summary>Runs the fetcher; a fetcher's own failure becomes a pull failure with its message.</summary>
    async Task<FetchedImage> FetchAsync(IImageFetcher fetcher, FetchRequest request, CancellationToken cancellationToken)
    {
        // Fetchers keep their temporary files here, inside the state directory: a crash leaves nothing elsewhere.
        using var scratch = new TempArea(Layout).Create("fetch");
        try
        {
            return await fetcher.FetchAsync(request with { ScratchDirectory = scratch.Directory }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ImageCacheException) { throw Fail(e.Message, e); }
    }

    /// <summary>True when every layer of <paramref name="fetched"/> is in the blob store (what building needs).</summary>
    static bool HasAllLayers(IBlobStore blobs, FetchedImage fetched) => fetched.Layers.All(l => blobs.Contains(l.Digest));

    /// <summary>
    /// The second half of a resolve-first pull, when it must build after all (no prebuilt baseline, or a rejected one):
    /// asks the fetcher again, layers wanted. A registry source is asked by the digest it resolved to, so a tag moved
    /// meanwhile cannot change what is built (the manifest and config come from the blob store, only the layers from
    /// the registry); any other source must resolve to the same manifest again. The first resolution's provenance
    /// (index digest, resolved reference) is kept.
    /// </summary>
    async Task<FetchedImage> FetchLayersAsync(IImageFetcher fetcher, FetchRequest resolveOnly, string transport, FetchedImage resolved,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"fetching the layers of {resolved.ResolvedReference}");
        var pinned = transport == RegistryTransport ? resolved.ResolvedReference : resolveOnly.Location;
        var full = await FetchAsync(fetcher, resolveOnly with { Location = pinned, LayersNeeded = true }, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(full.ManifestDigest, resolved.ManifestDigest, StringComparison.Ordinal))
            throw Fail($"the source changed during the pull: it resolved to {resolved.ManifestDigest}, then to {full.ManifestDigest}; pull again");
        if (!HasAllLayers(resolveOnly.Blobs, full))
            throw Fail($"the fetcher stored no layers for {resolved.ResolvedReference} although they were asked for");
        return resolved with { Layers = full.Layers };
    }
}
