using LanguageExt;

namespace ImageCache.Core;

/// <summary>The whole index: every record, in <see cref="RecordOrder"/>.</summary>
/// <param name="Images">The records.</param>
public sealed record ImageIndex(Seq<ImageRecord> Images)
{
    /// <summary>The empty index.</summary>
    public static readonly ImageIndex Empty = new(Seq<ImageRecord>.Empty);

    /// <summary>The same records, sorted.</summary>
    public ImageIndex Sorted() => new(RecordOrder.Sort(Images));
}
