using ImageCache.Contracts;
using ImageCache.Core;
using ImageCache.Host.Blobs;
using ImageCache.Host.Storage;

namespace ImageCache.Host.Operations;

public sealed partial class ImageCacheClient
{
    /// <summary>
    /// Holds <see cref="StateLayout.BlobsLockFile"/> shared for a pull, from before its first blob is stored until its
    /// record is written: <see cref="CollectBlobsAsync"/> cannot run meanwhile, so it never deletes a blob the pull
    /// still needs (the record that would protect it does not exist yet).
    /// </summary>
    async Task<FileLock> HoldBlobsForPullAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Layout.OciDir, IndexStore.DirectoryMode);
        try { return await FileLock.AcquireSharedAsync(Layout.BlobsLockFile, options.OnNotice, cancellationToken).ConfigureAwait(false); }
        catch (IOException e) { throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot lock {Layout.BlobsLockFile}: {e.Message.ReplaceLineEndings(" ")}", e); }
    }

    /// <summary>
    /// <c>prune</c>'s blob collection: under the index lock, and only when no pull is in flight (the blobs lock taken
    /// exclusively without waiting; otherwise skipped and said so), deletes the blobs of <c>state/oci</c> that no
    /// record's image reaches and the layout <c>index.json</c> entries no record refers to. The decision is
    /// <see cref="BlobGc.Plan"/> (Core); this gathers the facts and performs it.
    /// </summary>
    async Task<BlobGcOutcome> CollectBlobsAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Layout.OciDir)) return BlobGcOutcome.None;
        using var held = await Store.LockAsync(cancellationToken).ConfigureAwait(false);
        using var blobsLock = FileLock.TryAcquire(Layout.BlobsLockFile);
        if (blobsLock is null) return BlobGcOutcome.SkippedFor("a pull is in progress; run prune again when it has finished");
        var store = new OciBlobStore(Layout);
        var layoutIndex = new OciLayoutIndex(Layout.OciDir);
        var facts = await BlobGarbage.GatherAsync(store, layoutIndex, Store.Read().Images, cancellationToken).ConfigureAwait(false);
        var plan = BlobGc.Plan(Store.Read().Images, facts);
        return await BlobGarbage.PerformAsync(store, layoutIndex, plan, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Names the pulled image in the blob store's <c>index.json</c> (so <c>skopeo inspect oci:STATE/oci:NAME</c> and
    /// <c>umoci</c> can read it): the canonical reference for a registry pull, otherwise the manifest digest itself
    /// (a valid <c>ref.name</c>; local sources have no name of their own that fits its grammar).
    /// </summary>
    async Task RecordInLayoutAsync(OciBlobStore blobs, FetchedImage fetched, string transport, string location, CancellationToken cancellationToken)
    {
        var refName = transport == "docker" ? ImageRef.CanonicalOf(location).IfNone(fetched.ManifestDigest) : fetched.ManifestDigest;
        var platform = new OciPlatform(fetched.Platform.Os, fetched.Platform.Architecture, fetched.Platform.Variant.Length > 0 ? fetched.Platform.Variant : null);
        var size = blobs.SizeOf(fetched.ManifestDigest) ?? 0;
        var layoutIndex = new OciLayoutIndex(blobs.LayoutDir);
        // A warm pull names the same manifest again (its media type is in its bytes, so the digest decides): nothing to
        // write, and no need for the layout lock or the manifest itself (writers replace index.json atomically) — unless a
        // killed writer's temp file is there, which the locked update below removes.
        var named = layoutIndex.List().Where(e => e.RefName == refName).ToList();
        if (named is [{ Descriptor: var current }] && current.Digest == fetched.ManifestDigest && current.Size == size && current.Platform == platform
            && !Directory.EnumerateFiles(blobs.LayoutDir, ".index.json.tmp-*").Any()) return;

        var mediaType = "application/vnd.oci.image.manifest.v1+json";
        try
        {
            await using var manifest = blobs.OpenRead(fetched.ManifestDigest);
            using var json = System.Text.Json.JsonDocument.Parse(manifest); // a manifest is small: no async parse machinery
            if (json.RootElement.TryGetProperty("mediaType", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.String) mediaType = m.GetString()!;
        }
        catch (System.Text.Json.JsonException e) { throw Fail($"the stored manifest {fetched.ManifestDigest} is not valid JSON: {e.Message}", e); }
        var descriptor = new OciDescriptor(mediaType, fetched.ManifestDigest, size, platform);
        await layoutIndex.AddManifestAsync(descriptor, refName, cancellationToken, options.OnNotice).ConfigureAwait(false);
    }
}
