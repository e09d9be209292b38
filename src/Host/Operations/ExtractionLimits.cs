namespace ImageCache.Host.Operations;

/// <summary>
/// Bounds on what a pull may unpack (origin-behaviour §4.7, "Extraction is bounded"), checked on each tar header
/// before its data is spooled, so a hostile layer is refused before it fills the disk.
/// </summary>
/// <param name="MaxExpandedBytes">Total bytes of regular-file data across all layers (overwritten files included, as they are spooled); null means the pinned size when one is given (<c>--size-mib</c>), else 32 GiB.</param>
/// <param name="MaxEntries">Tar entries across all layers (whiteouts included).</param>
/// <param name="MaxPathDepth">Components in one entry name.</param>
public sealed record ExtractionLimits(long? MaxExpandedBytes = null, long MaxEntries = ExtractionLimits.DefaultMaxEntries, int MaxPathDepth = ExtractionLimits.DefaultMaxPathDepth)
{
    /// <summary>32 GiB: the expanded-data bound when no size is pinned.</summary>
    public const long DefaultMaxExpandedBytes = 32L << 30;

    /// <summary>Four million entries: several times the largest distribution images.</summary>
    public const long DefaultMaxEntries = 4_000_000;

    /// <summary>512 components: a 4096-byte PATH_MAX holds at most ~2048, real images stay far below 100.</summary>
    public const int DefaultMaxPathDepth = 512;

    /// <summary>The defaults.</summary>
    public static readonly ExtractionLimits Default = new();
}
