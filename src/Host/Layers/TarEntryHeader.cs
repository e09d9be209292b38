using System.Text;
using System.Text.Unicode;

namespace ImageCache.Host.Layers;

/// <summary>
/// The metadata of one tar entry after the PAX extended headers (local and global) and the GNU long name/link
/// entries that preceded it have been applied.
/// </summary>
/// <remarks>
/// Names: tar stores names as bytes with no declared encoding (PAX says UTF-8 unless <c>hdrcharset=BINARY</c>).
/// <see cref="RawName"/> and <see cref="RawLinkName"/> keep the exact bytes, which is what a filesystem writer must
/// put on disk; <see cref="Name"/> and <see cref="LinkName"/> are the same bytes decoded as UTF-8 with U+FFFD for
/// invalid sequences, for display, matching and error messages. <see cref="NameIsUtf8"/> tells whether the decode was
/// exact. The arrays and the dictionary are compared by reference by the record's equality.
/// </remarks>
public sealed record TarEntryHeader
{
    /// <summary>The entry's path as stored (after PAX <c>path</c>, GNU long name or ustar prefix), not normalised.</summary>
    public required string Name { get; init; }

    /// <summary>The exact bytes of the path.</summary>
    public required byte[] RawName { get; init; }

    /// <summary>What the entry is.</summary>
    public required TarEntryKind Kind { get; init; }

    /// <summary>Permission bits, setuid, setgid and sticky (mask 07777); file-type bits some writers add are dropped.</summary>
    public required int Mode { get; init; }

    /// <summary>Owner id (octal field, base-256 field or PAX <c>uid</c>).</summary>
    public required long Uid { get; init; }

    /// <summary>Group id (octal field, base-256 field or PAX <c>gid</c>).</summary>
    public required long Gid { get; init; }

    /// <summary>Number of data bytes that follow the header; always 0 for links, devices, directories and FIFOs.</summary>
    public required long Size { get; init; }

    /// <summary>Modification time; sub-second precision (to 100 ns) when a PAX <c>mtime</c> record gives it.</summary>
    public required DateTimeOffset ModifiedTime { get; init; }

    /// <summary>Target of a hard or symbolic link (PAX <c>linkpath</c>, GNU long link or the header field); empty otherwise.</summary>
    public required string LinkName { get; init; }

    /// <summary>The exact bytes of <see cref="LinkName"/>.</summary>
    public required byte[] RawLinkName { get; init; }

    /// <summary>Device major number (character and block devices only; 0 otherwise).</summary>
    public long DevMajor { get; init; }

    /// <summary>Device minor number (character and block devices only; 0 otherwise).</summary>
    public long DevMinor { get; init; }

    /// <summary>Owner name (informational: OCI says uid/gid win where both exist).</summary>
    public string Uname { get; init; } = "";

    /// <summary>Group name (informational).</summary>
    public string Gname { get; init; } = "";

    /// <summary>
    /// Extended attributes by full name (e.g. <c>security.capability</c>, <c>user.foo</c>), with their exact value
    /// bytes, from PAX <c>SCHILY.xattr.NAME</c> and <c>LIBARCHIVE.xattr.NAME</c> records. Keys are compared ordinally.
    /// </summary>
    public required IReadOnlyDictionary<string, byte[]> Xattrs { get; init; }

    /// <summary>Whether <see cref="RawName"/> is valid UTF-8, i.e. <see cref="Name"/> represents it exactly.</summary>
    public bool NameIsUtf8 => Utf8.IsValid(RawName);
}
