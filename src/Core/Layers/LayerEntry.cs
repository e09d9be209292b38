using System;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core.Layers;

/// <summary>
/// One tar entry header of a layer, as the Host hands it over (names raw, not yet normalised). Whiteout markers
/// (<c>.wh.NAME</c>, <c>.wh..wh..opq</c>) arrive as ordinary entries; <see cref="LayerMerge"/> interprets them.
/// </summary>
public sealed record LayerEntry
{
    /// <summary>The raw tar name (for example <c>./usr/bin/</c>); <see cref="PathRules.Normalize"/> cleans it.</summary>
    public string Name { get; init; } = "";
    /// <summary>What the entry creates.</summary>
    public LayerEntryKind Kind { get; init; }
    /// <summary>Permission bits (07777); higher bits (a file type some producers leave in the mode field) are ignored.</summary>
    public int Mode { get; init; }
    /// <summary>Owner uid (0 … 2^32−2).</summary>
    public long Uid { get; init; }
    /// <summary>Owner gid (0 … 2^32−2).</summary>
    public long Gid { get; init; }
    /// <summary>Modification time (sub-second precision kept).</summary>
    public DateTimeOffset ModifiedTime { get; init; } = DateTimeOffset.UnixEpoch;
    /// <summary>Extended attributes (PAX <c>SCHILY.xattr.*</c>), name → raw bytes, ordinal order.</summary>
    public Map<OrdStringOrdinal, string, byte[]> Xattrs { get; init; } = Map<OrdStringOrdinal, string, byte[]>.Empty;
    /// <summary>Symlink target (kept verbatim; <see cref="LayerMerge"/> follows it, inside the image root, only to place later entries below it) or hard-link target (a raw tar name, normalised like <see cref="Name"/>).</summary>
    public string LinkTarget { get; init; } = "";
    /// <summary>Device major number (character and block devices).</summary>
    public long DeviceMajor { get; init; }
    /// <summary>Device minor number (character and block devices).</summary>
    public long DeviceMinor { get; init; }
    /// <summary>Content size in bytes (regular files).</summary>
    public long Size { get; init; }
    /// <summary>Where the entry's bytes are; carried along unchanged.</summary>
    public DataRef DataRef { get; init; }
}
