using ImageCache.Core;

namespace ImageCache.Host.Storage;

/// <summary>
/// The bytes of an index file as read, and where each record (by object identity) lies in them: a writer copies
/// unchanged records instead of encoding them again. Only made for files in the writer's own form.
/// </summary>
internal sealed class RawIndex
{
    readonly byte[] bytes;
    readonly Dictionary<ImageRecord, (int Start, int Length)> ranges;

    public RawIndex(byte[] bytes, List<(ImageRecord Record, int Start, int Length)> records)
    {
        this.bytes = bytes;
        ranges = new Dictionary<ImageRecord, (int, int)>(records.Count, ReferenceEqualityComparer.Instance);
        foreach (var (record, start, length) in records) ranges[record] = (start, length);
    }

    /// <summary>The text of <paramref name="record"/> when it is one of the records read (the very object).</summary>
    public bool TryGetText(ImageRecord record, out ReadOnlySpan<byte> text)
    {
        if (ranges.TryGetValue(record, out var range))
        {
            text = bytes.AsSpan(range.Start, range.Length);
            return true;
        }
        text = default;
        return false;
    }
}
