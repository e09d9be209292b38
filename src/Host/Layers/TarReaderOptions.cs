namespace ImageCache.Host.Layers;

/// <summary>
/// Limits that keep a hostile archive from making <see cref="TarReader"/> buffer unbounded metadata. Entry counts
/// and expanded sizes are the caller's to limit.
/// </summary>
public sealed record TarReaderOptions
{
    /// <summary>The defaults: 1 MiB of PAX records per entry (and for the global set), 64 KiB names.</summary>
    public static TarReaderOptions Default { get; } = new();

    /// <summary>
    /// Largest PAX extended header (typeflag 'x' or 'g') accepted, and the largest total of PAX record bytes that may
    /// accumulate for one entry (several 'x' headers in a row) or in the global set. Default 1 MiB.
    /// </summary>
    public int MaxPaxHeaderSize { get; init; } = 1024 * 1024;

    /// <summary>Longest name or link target accepted in bytes (GNU 'L'/'K' entries and PAX <c>path</c>/<c>linkpath</c>). Default 64 KiB.</summary>
    public int MaxNameLength { get; init; } = 64 * 1024;
}
