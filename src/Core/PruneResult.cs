using LanguageExt;

namespace ImageCache.Core;

/// <summary>The outcome of a Remove or Prune, with the original's meaning.</summary>
/// <param name="Removed">Records dropped from the index whose file was not deleted (kept, shared, outside the store, or already gone).</param>
/// <param name="Deleted">Records dropped whose store file was deleted (or shared a file deleted in the same call).</param>
/// <param name="Kept">Records left in the index.</param>
/// <param name="OrphansDeleted">Store files no record referenced, deleted by <c>prune --purge</c>.</param>
public sealed record PruneResult(Seq<ImageRecord> Removed, Seq<ImageRecord> Deleted, Seq<ImageRecord> Kept, Seq<string> OrphansDeleted)
{
    /// <summary>What the blob collection of <c>prune</c> removed from the blob store (<see cref="BlobGcOutcome.None"/> for <c>rm</c>).</summary>
    public BlobGcOutcome Blobs { get; init; } = BlobGcOutcome.None;
}
