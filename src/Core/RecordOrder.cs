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

    /// <summary>Returns the records sorted by <see cref="Compare"/>.</summary>
    public static Seq<ImageRecord> Sort(Seq<ImageRecord> records)
    {
        var array = records.ToArray();
        Array.Sort(array, Compare);
        return array.ToSeq().Strict();
    }
}
