using System;
using LanguageExt;

namespace ImageCache.Core;

/// <summary>The total order of records in the index and in listings (the seed's <c>Sort</c>).</summary>
public static class RecordOrder
{
    /// <summary>Orders by image ref, architecture, digest (as the original), then OS, variant and path, ordinally, so the order is total and stable on every machine.</summary>
    public static int Compare(ImageRecord a, ImageRecord b)
    {
        var c = string.CompareOrdinal(a.ImageRef, b.ImageRef);
        if (c == 0) c = string.CompareOrdinal(a.Platform.Architecture, b.Platform.Architecture);
        if (c == 0) c = string.CompareOrdinal(a.Digest, b.Digest);
        if (c == 0) c = string.CompareOrdinal(a.Platform.Os, b.Platform.Os);
        if (c == 0) c = string.CompareOrdinal(a.Platform.Variant, b.Platform.Variant);
        if (c == 0) c = string.CompareOrdinal(a.OutputPath, b.OutputPath);
        return c;
    }

    /// <summary>
    /// <paramref name="records"/> with <paramref name="record"/> added, sorted: when <paramref name="records"/> is
    /// already sorted (as an index read from disk is), one check and a binary search instead of a sort of thousands.
    /// </summary>
    public static Seq<ImageRecord> Insert(Seq<ImageRecord> records, ImageRecord record) => Insert(records.ToArray(), record);

    /// <summary>As <see cref="Insert(Seq{ImageRecord}, ImageRecord)"/>, for records the caller owns (<paramref name="array"/> is not changed).</summary>
    internal static Seq<ImageRecord> Insert(ImageRecord[] array, ImageRecord record)
    {
        if (!IsSorted(array))
        {
            var all = new ImageRecord[array.Length + 1];
            Array.Copy(array, all, array.Length);
            all[^1] = record;
            Array.Sort(all, Compare);
            return all.ToSeq().Strict();
        }
        // After every record that sorts before it or equal to it.
        int low = 0, high = array.Length;
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (Compare(array[middle], record) <= 0) low = middle + 1;
            else high = middle;
        }
        var result = new ImageRecord[array.Length + 1];
        Array.Copy(array, 0, result, 0, low);
        result[low] = record;
        Array.Copy(array, low, result, low + 1, array.Length - low);
        return result.ToSeq().Strict();
    }

    /// <summary>Returns the records sorted by <see cref="Compare"/>.</summary>
    public static Seq<ImageRecord> Sort(Seq<ImageRecord> records)
    {
        var array = records.ToArray();
        if (!IsSorted(array)) Array.Sort(array, Compare); // an index read from disk is sorted: one pass instead of n·log n
        return array.ToSeq().Strict();
    }

    static bool IsSorted(ImageRecord[] records)
    {
        for (var i = 1; i < records.Length; i++)
            if (Compare(records[i - 1], records[i]) > 0) return false;
        return true;
    }
}
