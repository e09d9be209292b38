namespace ImageCache.Fetchers.Rootfs;

/// <summary>One member of a root filesystem, whatever it was read from (a directory walk or a tar).</summary>
/// <param name="Path">Path relative to the root, <c>/</c>-separated, no leading or trailing <c>/</c>; empty for the root.</param>
/// <param name="TypeFlag">The ustar type flag it will be written with: <c>0</c> file, <c>2</c> symlink, <c>3</c>/<c>4</c> char/block device, <c>5</c> directory, <c>6</c> FIFO (hard links are decided by <see cref="LinkGroup"/>).</param>
/// <param name="Mode">Permission bits (<c>07777</c>).</param>
/// <param name="Uid">Owner user id, as recorded (not the reading user's).</param>
/// <param name="Gid">Owner group id.</param>
/// <param name="ModifiedTime">Modification time (100 ns precision).</param>
/// <param name="Xattrs">Extended attributes, name to raw bytes.</param>
/// <param name="LinkTarget">Symlink target; null otherwise.</param>
/// <param name="DeviceMajor">Device major number.</param>
/// <param name="DeviceMinor">Device minor number.</param>
/// <param name="Size">Data bytes of a regular file; 0 otherwise.</param>
/// <param name="LinkGroup">For regular files: the key shared by all names of one file ((device, inode) for a directory, the first name for a tar); null otherwise.</param>
/// <param name="OpenData">Opens a regular file's data (exactly <see cref="Size"/> bytes).</param>
internal sealed record RootfsEntry(
    string Path,
    char TypeFlag,
    int Mode,
    long Uid,
    long Gid,
    DateTimeOffset ModifiedTime,
    IReadOnlyDictionary<string, byte[]> Xattrs,
    string? LinkTarget,
    int DeviceMajor,
    int DeviceMinor,
    long Size,
    object? LinkGroup,
    Func<Stream>? OpenData);

/// <summary>
/// The canonical order of a root filesystem: paths compared component by component (ordinal), so a directory comes
/// before its children and a directory walk with sorted children gives the same order as sorting a tar's names.
/// </summary>
internal sealed class CanonicalPathComparer : IComparer<string>
{
    public static readonly CanonicalPathComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var a = x.AsSpan();
        var b = y.AsSpan();
        while (true)
        {
            if (a.Length == 0) return b.Length == 0 ? 0 : -1;
            if (b.Length == 0) return 1;
            var i = a.IndexOf('/');
            var j = b.IndexOf('/');
            var headA = i < 0 ? a : a[..i];
            var headB = j < 0 ? b : b[..j];
            var c = headA.CompareTo(headB, StringComparison.Ordinal);
            if (c != 0) return c;
            a = i < 0 ? [] : a[(i + 1)..];
            b = j < 0 ? [] : b[(j + 1)..];
        }
    }
}
