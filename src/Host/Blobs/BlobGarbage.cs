using System.Text.Json;
using ImageCache.Core;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Host.Blobs;

/// <summary>
/// The IO half of <c>prune</c>'s blob collection: gathers <see cref="BlobFacts"/> (the layout's <c>index.json</c>, the
/// references inside every stored manifest and index reachable from the records or the layout, the stored blobs) for
/// <see cref="BlobGc.Plan"/>, and performs the plan. The caller holds the index lock and the blobs lock exclusively.
/// </summary>
public static class BlobGarbage
{
    /// <summary>Manifests and indexes larger than this are not parsed (the fetchers' cap, oci-rules: 4 MiB).</summary>
    const long MaxManifestSize = 4 << 20;

    /// <summary>Facts for <paramref name="records"/>: what they and the layout's entries reach, and what is stored.</summary>
    public static async Task<BlobFacts> GatherAsync(OciBlobStore store, OciLayoutIndex index, Seq<ImageRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(index);
        var entries = index.List();
        var refs = Prelude.toSeq(entries.Select(e => (e.RefName ?? "", e.Descriptor.Digest)).ToArray());
        var children = Map<OrdStringOrdinal, string, Seq<string>>.Empty;
        var visited = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(records.Map(r => r.Digest).Concat(records.Map(r => r.IndexDigest)).Concat(entries.Select(e => e.Descriptor.Digest))
            .Where(d => d.Length > 0));
        while (pending.Count > 0)
        {
            var digest = pending.Pop();
            if (!OciDigest.IsValid(digest) || !visited.Add(digest)) continue;
            var referenced = await ReferencesAsync(store, digest, cancellationToken).ConfigureAwait(false);
            if (referenced.Count == 0) continue;
            children = children.AddOrUpdate(digest, Prelude.toSeq(referenced.ToArray()));
            foreach (var child in referenced) pending.Push(child);
        }
        var stored = Map<OrdStringOrdinal, string, long>.Empty;
        foreach (var (digest, size, _) in store.EnumerateBlobs()) stored = stored.AddOrUpdate(digest, size);
        return new BlobFacts(refs, children, stored);
    }

    /// <summary>
    /// The digests a stored blob references when it is a manifest or an index (told by its content: a JSON object with
    /// <c>schemaVersion</c>, so a Docker config's own <c>config</c> object is never mistaken for a descriptor); empty
    /// for anything else, and for blobs that are missing or too large to be a manifest.
    /// </summary>
    static async Task<List<string>> ReferencesAsync(OciBlobStore store, string digest, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        if (store.SizeOf(digest) is not { } size || size > MaxManifestSize || size < 2) return result;
        byte[] bytes;
        await using (var stream = store.OpenRead(digest))
        {
            bytes = new byte[size];
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        var first = Array.FindIndex(bytes, b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'));
        if (first < 0 || bytes[first] != (byte)'{') return result; // a layer, or not JSON: no references
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (!root.TryGetProperty("schemaVersion", out _)) return result; // a config
            if (root.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
                foreach (var child in manifests.EnumerateArray()) Add(result, child);
            if (root.TryGetProperty("config", out var config)) Add(result, config);
            if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                foreach (var layer in layers.EnumerateArray()) Add(result, layer);
            if (root.TryGetProperty("subject", out var subject)) Add(result, subject);
        }
        catch (JsonException) { } // JSON-looking but not JSON: references nothing
        return result;

        static void Add(List<string> into, JsonElement descriptor)
        {
            if (descriptor.ValueKind == JsonValueKind.Object && descriptor.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String
                && d.GetString() is { } value && OciDigest.IsValid(value))
                into.Add(value);
        }
    }

    /// <summary>
    /// Performs <paramref name="plan"/>: drops the layout entries first (so the layout never names a deleted blob), then
    /// deletes the blobs, then every temp file left in <c>ingest/</c> (no pull is writing: the caller holds the blobs lock).
    /// Returns what was actually deleted.
    /// </summary>
    public static async Task<BlobGcOutcome> PerformAsync(OciBlobStore store, OciLayoutIndex index, BlobGcOutcome plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(plan);
        await index.RemoveDigestsAsync(new System.Collections.Generic.HashSet<string>(plan.RemovedRefs, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        var deleted = new List<string>();
        long freed = 0;
        foreach (var digest in plan.DeletedBlobs)
        {
            var size = store.SizeOf(digest) ?? 0;
            if (!store.Delete(digest)) continue;
            deleted.Add(digest);
            freed += size;
        }
        if (Directory.Exists(store.IngestDir))
        {
            foreach (var file in new DirectoryInfo(store.IngestDir).EnumerateFiles())
            {
                var size = file.Length;
                try { file.Delete(); freed += size; }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        return plan with { DeletedBlobs = Prelude.toSeq(deleted.ToArray()), BytesFreed = freed };
    }
}
