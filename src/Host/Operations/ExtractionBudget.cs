namespace ImageCache.Host.Operations;

/// <summary>Counts what a pull has unpacked so far against its <see cref="ExtractionLimits"/>; refuses an entry before its data is written.</summary>
internal sealed class ExtractionBudget(long maxExpandedBytes, long maxEntries, int maxPathDepth, string bytesHint)
{
    long _bytes;
    long _entries;

    /// <summary>Accounts one tar entry (its name and declared data size) or returns why it is refused.</summary>
    public string? Admit(string name, long size)
    {
        if (++_entries > maxEntries)
            return $"the image has more than {maxEntries} entries (the extraction limit)";
        var depth = 0;
        foreach (var component in name.Split('/'))
            if (component is not ("" or ".")) depth++;
        if (depth > maxPathDepth)
            return $"'{Shorten(name)}' is {depth} levels deep (the extraction limit is {maxPathDepth})";
        if (size > 0 && _bytes + size > maxExpandedBytes)
            return $"the layers expand to more than {maxExpandedBytes} bytes ({bytesHint}); '{Shorten(name)}' of {size} bytes would pass it";
        _bytes += Math.Max(0, size);
        return null;
    }

    static string Shorten(string name) => name.Length <= 120 ? name : name[..60] + "…" + name[^59..];
}
