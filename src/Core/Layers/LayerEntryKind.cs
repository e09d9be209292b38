namespace ImageCache.Core.Layers;

/// <summary>What a tar entry of a layer creates (tar typeflags <c>0</c>, <c>5</c>, <c>2</c>, <c>1</c>, <c>3</c>, <c>4</c>, <c>6</c>).</summary>
public enum LayerEntryKind
{
    /// <summary>A regular file (typeflag <c>0</c>, <c>7</c> or NUL). Whiteout markers are regular files too.</summary>
    File,
    /// <summary>A directory (typeflag <c>5</c>).</summary>
    Directory,
    /// <summary>A symbolic link (typeflag <c>2</c>); its target is data and is never followed.</summary>
    Symlink,
    /// <summary>A hard link (typeflag <c>1</c>) to a regular file already in the tree.</summary>
    HardLink,
    /// <summary>A character device (typeflag <c>3</c>).</summary>
    CharDevice,
    /// <summary>A block device (typeflag <c>4</c>).</summary>
    BlockDevice,
    /// <summary>A FIFO (typeflag <c>6</c>).</summary>
    Fifo,
}
