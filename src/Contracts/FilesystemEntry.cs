namespace ImageCache.Contracts;

/// <summary>One final entry of the flattened image, as a builder must write it.</summary>
/// <param name="Path">Image path relative to the root, <c>/</c>-separated, no leading <c>/</c>; the empty string is the root directory.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Mode">Permission bits including setuid, setgid and sticky (<c>07777</c>), already filtered by the setuid policy.</param>
/// <param name="Uid">Owner user id.</param>
/// <param name="Gid">Owner group id.</param>
/// <param name="ModifiedTime">Modification time (UTC), with sub-second precision where the image has it.</param>
/// <param name="Xattrs">Extended attributes, name to raw bytes (e.g. <c>security.capability</c>).</param>
/// <param name="LinkTarget">Symlink target, or the image path of a hard link's file; null otherwise.</param>
/// <param name="DeviceMajor">Device major number for devices.</param>
/// <param name="DeviceMinor">Device minor number for devices.</param>
/// <param name="Size">Data size in bytes for regular files; 0 otherwise.</param>
/// <param name="OpenData">Opens the file's data (regular files only); may be called once.</param>
public sealed record FilesystemEntry(
    string Path,
    FilesystemEntryKind Kind,
    int Mode,
    long Uid,
    long Gid,
    DateTimeOffset ModifiedTime,
    IReadOnlyDictionary<string, byte[]> Xattrs,
    string? LinkTarget,
    int DeviceMajor,
    int DeviceMinor,
    long Size,
    Func<CancellationToken, ValueTask<Stream>>? OpenData);
