using ImageCache.Core;

namespace ImageCache.Host.Storage;

/// <summary>
/// Records read from an index file and where each one's text lies in it, in file order. Plain arrays rather than a
/// list of tuples: a list of a value tuple over our types has no ReadyToRun code and runs unoptimised in a short CLI
/// process, which showed on 10,000 records.
/// </summary>
internal sealed class RecordSpans
{
    ImageRecord[] records = new ImageRecord[16];
    int[] starts = new int[16];
    int[] lengths = new int[16];

    /// <summary>How many records were added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a record whose text is <paramref name="length"/> bytes at <paramref name="start"/>.</summary>
    public void Add(ImageRecord record, int start, int length)
    {
        if (Count == records.Length)
        {
            Array.Resize(ref records, Count * 2);
            Array.Resize(ref starts, Count * 2);
            Array.Resize(ref lengths, Count * 2);
        }
        records[Count] = record;
        starts[Count] = start;
        lengths[Count] = length;
        Count++;
    }

    /// <summary>The record at <paramref name="position"/> and where its text lies.</summary>
    public (ImageRecord Record, int Start, int Length) this[int position] =>
        position < Count ? (records[position], starts[position], lengths[position]) : throw new ArgumentOutOfRangeException(nameof(position));
}
