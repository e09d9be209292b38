namespace ImageCache.Host.Blobs;

/// <summary>What a <see cref="BlobCollector"/> run removed.</summary>
/// <param name="DeletedBlobs">Digests of the unreferenced blobs deleted, sorted.</param>
/// <param name="DeletedTemps">Paths of stale temp files deleted from <c>ingest/</c>.</param>
/// <param name="BytesFreed">Total size of everything deleted.</param>
public sealed record BlobCollection(IReadOnlyList<string> DeletedBlobs, IReadOnlyList<string> DeletedTemps, long BytesFreed);
