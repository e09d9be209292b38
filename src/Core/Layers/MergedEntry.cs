using System;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core.Layers;

/// <summary>
/// One entry of the flattened tree, with its final metadata. A <see cref="LayerEntryKind.HardLink"/> entry's
/// <see cref="LinkTarget"/> is the path of the <see cref="LayerEntryKind.File"/> entry holding the data (always
/// emitted earlier); it repeats that file's metadata, size and <see cref="DataRef"/>.
/// </summary>
public sealed record MergedEntry
{
    /// <summary>Normalised path relative to the root, <c>/</c>-separated; the root itself is <see cref="PathRules.Root"/>.</summary>
    public string Path { get; init; } = "";
    /// <summary>What the entry is (never a whiteout).</summary>
    public LayerEntryKind Kind { get; init; }
    /// <summary>Final permission bits (07777), after the setuid policy.</summary>
    public int Mode { get; init; }
    /// <summary>Owner uid.</summary>
    public long Uid { get; init; }
    /// <summary>Owner gid.</summary>
    public long Gid { get; init; }
    /// <summary>Modification time.</summary>
    public DateTimeOffset ModifiedTime { get; init; } = DateTimeOffset.UnixEpoch;
    /// <summary>Extended attributes, ordinal order.</summary>
    public Map<OrdStringOrdinal, string, byte[]> Xattrs { get; init; } = Map<OrdStringOrdinal, string, byte[]>.Empty;
    /// <summary>Symlink target (verbatim) or, for a hard link, the path of the file entry it shares data with; else empty.</summary>
    public string LinkTarget { get; init; } = "";
    /// <summary>Device major number.</summary>
    public long DeviceMajor { get; init; }
    /// <summary>Device minor number.</summary>
    public long DeviceMinor { get; init; }
    /// <summary>Content size of a regular file (and of the file a hard link shares).</summary>
    public long Size { get; init; }
    /// <summary>Where the bytes are (regular files and hard links); default for other kinds.</summary>
    public DataRef DataRef { get; init; }
}
