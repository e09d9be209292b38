namespace ImageCache.Host.Layers;

/// <summary>
/// On-disk layout of a tar header record: offsets and lengths of the fields (POSIX ustar, with the GNU and star
/// variants of the tail), the typeflags and the magic strings. Every header is one 512-byte block; data follows in
/// whole blocks, the last one zero-padded.
/// </summary>
internal static class TarFormat
{
    public const int BlockSize = 512;

    // Fields common to v7, ustar, GNU and star.
    public const int NameOffset = 0, NameLength = 100;
    public const int ModeOffset = 100, ModeLength = 8;
    public const int UidOffset = 108, UidLength = 8;
    public const int GidOffset = 116, GidLength = 8;
    public const int SizeOffset = 124, SizeLength = 12;
    public const int MtimeOffset = 136, MtimeLength = 12;
    public const int ChecksumOffset = 148, ChecksumLength = 8;
    public const int TypeFlagOffset = 156;
    public const int LinkNameOffset = 157, LinkNameLength = 100;

    // ustar and later: "ustar\0" "00" (POSIX) or "ustar " " \0" (old GNU), then the owner names and device numbers.
    public const int MagicOffset = 257, MagicLength = 6;
    public const int VersionOffset = 263, VersionLength = 2;
    public const int UnameOffset = 265, UnameLength = 32;
    public const int GnameOffset = 297, GnameLength = 32;
    public const int DevMajorOffset = 329, DevMajorLength = 8;
    public const int DevMinorOffset = 337, DevMinorLength = 8;

    // POSIX ustar: a 155-byte prefix joined to the name with '/'. star shortens it to 131 bytes and marks the
    // header with "tar\0" at 508; GNU uses the same area for atime/ctime/sparse maps, so it has no prefix.
    public const int PrefixOffset = 345, PrefixLength = 155, StarPrefixLength = 131;
    public const int StarTrailerOffset = 508;

    public static ReadOnlySpan<byte> UstarMagic => "ustar\0"u8;
    public static ReadOnlySpan<byte> UstarVersion => "00"u8;
    public static ReadOnlySpan<byte> GnuMagic => "ustar "u8;
    public static ReadOnlySpan<byte> GnuVersion => " \0"u8;
    public static ReadOnlySpan<byte> StarTrailer => "tar\0"u8;

    // Typeflags (POSIX, then GNU extensions).
    public const byte TypeRegular = (byte)'0', TypeRegularV7 = 0, TypeHardLink = (byte)'1', TypeSymLink = (byte)'2';
    public const byte TypeChar = (byte)'3', TypeBlock = (byte)'4', TypeDirectory = (byte)'5', TypeFifo = (byte)'6';
    public const byte TypeContiguous = (byte)'7';
    public const byte TypePaxLocal = (byte)'x', TypePaxGlobal = (byte)'g';
    public const byte TypeGnuLongName = (byte)'L', TypeGnuLongLink = (byte)'K', TypeGnuSparse = (byte)'S';
    public const byte TypeGnuVolumeLabel = (byte)'V', TypeGnuDumpDir = (byte)'D', TypeGnuMultiVolume = (byte)'M';
    public const byte TypeGnuOldLongName = (byte)'N';

    /// <summary>Number of zero bytes after <paramref name="size"/> data bytes that complete the last block.</summary>
    public static int Padding(long size) => (int)((BlockSize - size % BlockSize) % BlockSize);
}
