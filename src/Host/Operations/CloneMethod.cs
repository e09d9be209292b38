namespace ImageCache.Host.Operations;

/// <summary>How a private copy was made.</summary>
public enum CloneMethod
{
    /// <summary><c>FICLONE</c>: the copy shares the baseline's extents until written (btrfs, XFS with reflink, …).</summary>
    Reflink,
    /// <summary>Only the baseline's data ranges were copied; its holes (and all-zero blocks) stay holes.</summary>
    SparseCopy,
}
