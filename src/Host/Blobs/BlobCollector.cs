using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Host.Blobs;

/// <summary>
/// Garbage collection of the blob store: deletes blobs nobody references and temp files of writes that died.
/// The caller decides what is referenced (usually <see cref="ReferencedDigestsAsync"/>) and must hold whatever lock
/// keeps pulls from recording new images meanwhile; the grace period additionally spares blobs written or reused
/// recently (a pull in flight has not recorded its image yet).
/// </summary>
public sealed class BlobCollector(OciBlobStore store)
{
    /// <summary>Manifests and indexes larger than this are not parsed (oci-rules §3.5 caps: 4 MiB).</summary>
    public const long MaxManifestSize = 4 << 20;

    static readonly System.Collections.Generic.HashSet<string> IndexMediaTypes = new(StringComparer.Ordinal)
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    };

    static readonly System.Collections.Generic.HashSet<string> ManifestMediaTypes = new(StringComparer.Ordinal)
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    };

    /// <summary>
    /// Every digest reachable from <c>index.json</c>: its entries, then through stored indexes (nested, any depth) and
    /// manifests to their configs and layers (and a manifest's <c>subject</c>). Blobs that are missing are still
    /// listed (they are referenced) but not walked; entries of unknown media type are kept but not parsed.
    /// </summary>
    /// <exception cref="ImageSourceException">A stored manifest or index does not parse.</exception>
    public static async Task<IReadOnlySet<string>> ReferencedDigestsAsync(OciBlobStore store, OciLayoutIndex index, CancellationToken cancellationToken)
    {
        var referenced = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Digest, string? MediaType)>();
        foreach (var entry in index.List()) pending.Push((entry.Descriptor.Digest, entry.Descriptor.MediaType));
        while (pending.Count > 0)
        {
            var (digest, mediaType) = pending.Pop();
            if (!OciDigest.IsValid(digest) || !referenced.Add(digest)) continue;
            var isIndex = mediaType is not null && IndexMediaTypes.Contains(mediaType);
            var isManifest = mediaType is not null && ManifestMediaTypes.Contains(mediaType);
            if (!isIndex && !isManifest) continue;
            if (store.SizeOf(digest) is not { } size || size > MaxManifestSize) continue;

            JsonDocument document;
            await using (var stream = store.OpenRead(digest))
            {
                try { document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false); }
                catch (JsonException e) { throw new ImageSourceException($"stored {(isIndex ? "index" : "manifest")} {digest} is not valid JSON: {e.Message.ReplaceLineEndings(" ")}", e); }
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) continue;
                if (root.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
                    foreach (var child in manifests.EnumerateArray()) Push(pending, child);
                if (root.TryGetProperty("config", out var config)) Push(pending, config);
                if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                    foreach (var layer in layers.EnumerateArray()) Push(pending, layer);
                if (root.TryGetProperty("subject", out var subject)) Push(pending, subject);
            }
        }
        return referenced;
    }

    /// <summary>
    /// Deletes every blob not in <paramref name="referenced"/> whose last write is at least <paramref name="grace"/> before
    /// <paramref name="now"/>, and every temp file in <c>ingest/</c> at least that old.
    /// </summary>
    public BlobCollection Collect(IReadOnlySet<string> referenced, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(referenced);
        var deletedBlobs = new List<string>();
        var deletedTemps = new List<string>();
        long freed = 0;
        foreach (var (digest, size, lastWrite) in store.EnumerateBlobs().ToList())
        {
            if (referenced.Contains(digest)) continue;
            if (now.UtcDateTime - lastWrite < grace) continue;
            if (!store.Delete(digest)) continue;
            deletedBlobs.Add(digest);
            freed += size;
        }
        if (Directory.Exists(store.IngestDir))
        {
            foreach (var file in new DirectoryInfo(store.IngestDir).EnumerateFiles().ToList())
            {
                if (now.UtcDateTime - file.LastWriteTimeUtc < grace) continue;
                var size = file.Length;
                try { file.Delete(); }
                catch (IOException) { continue; }
                catch (UnauthorizedAccessException) { continue; }
                deletedTemps.Add(file.FullName);
                freed += size;
            }
        }
        deletedBlobs.Sort(StringComparer.Ordinal);
        deletedTemps.Sort(StringComparer.Ordinal);
        return new BlobCollection(deletedBlobs, deletedTemps, freed);
    }

    static void Push(Stack<(string Digest, string? MediaType)> pending, JsonElement descriptor)
    {
        if (descriptor.ValueKind != JsonValueKind.Object) return;
        if (!descriptor.TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.String) return;
        string? mediaType = descriptor.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        pending.Push((digest.GetString()!, mediaType));
    }
}
