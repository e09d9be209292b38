using LanguageExt;

namespace ImageCache.Core;

/// <summary>What a blob collection removed (or, as a plan, will remove) from the blob store.</summary>
/// <param name="DeletedBlobs">Digests of the blobs no kept image reaches, sorted.</param>
/// <param name="RemovedRefs">Digests of the layout <c>index.json</c> entries no record refers to, sorted, distinct.</param>
/// <param name="BytesFreed">Total size of <paramref name="DeletedBlobs"/>.</param>
/// <param name="Skipped">Why no collection ran (a pull in progress); empty when it ran.</param>
public sealed record BlobGcOutcome(Seq<string> DeletedBlobs, Seq<string> RemovedRefs, long BytesFreed, string Skipped)
{
    /// <summary>Nothing collected, nothing skipped (commands that do not collect blobs).</summary>
    public static readonly BlobGcOutcome None = new(Seq<string>.Empty, Seq<string>.Empty, 0, "");

    /// <summary>No collection ran, for <paramref name="reason"/>.</summary>
    public static BlobGcOutcome SkippedFor(string reason) => None with { Skipped = reason };
}
