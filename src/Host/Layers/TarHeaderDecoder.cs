using System.Diagnostics;
using System.Text;
using static ImageCache.Host.Layers.TarFormat;

namespace ImageCache.Host.Layers;

/// <summary>
/// Decodes one 512-byte header block from a span: checksum, format detection, names and numeric fields. No IO here;
/// <c>TarReader</c> reads the blocks and applies the meta entries.
/// </summary>
internal static class TarHeaderDecoder
{
    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block.ContainsAnyExcept((byte)0);

    /// <summary>The header's own name field, decoded leniently, for messages about a header that may be malformed.</summary>
    public static string PeekName(ReadOnlySpan<byte> block) =>
        Encoding.UTF8.GetString(CString(block.Slice(NameOffset, NameLength)));

    /// <exception cref="InvalidDataException">Bad checksum or a numeric field that is not a number.</exception>
    public static TarHeaderFields Decode(ReadOnlySpan<byte> block, long offset)
    {
        Debug.Assert(block.Length == BlockSize);
        string name = PeekName(block);
        VerifyChecksum(block, name, offset);

        var format = DetectFormat(block);
        byte typeFlag = block[TypeFlagOffset];

        byte[] nameBytes = CString(block.Slice(NameOffset, NameLength)).ToArray();
        if (format is TarHeaderFormat.Ustar or TarHeaderFormat.Star)
        {
            // POSIX ustar splits long paths: prefix + '/' + name. star keeps atime/ctime after a shorter prefix.
            var prefix = CString(block.Slice(PrefixOffset, format == TarHeaderFormat.Star ? StarPrefixLength : PrefixLength));
            if (!prefix.IsEmpty)
                nameBytes = [.. prefix, (byte)'/', .. nameBytes];
        }

        long mode = Numeric(block, ModeOffset, ModeLength, "mode", name, offset);
        long uid = Numeric(block, UidOffset, UidLength, "uid", name, offset);
        long gid = Numeric(block, GidOffset, GidLength, "gid", name, offset);
        long size = Numeric(block, SizeOffset, SizeLength, "size", name, offset);
        // mtime may be negative (GNU writes pre-1970 times in base-256 two's complement); the others may not.
        long mtime = Numeric(block, MtimeOffset, MtimeLength, "mtime", name, offset, allowNegative: true);

        string uname = "", gname = "";
        long devMajor = 0, devMinor = 0;
        if (format != TarHeaderFormat.V7)
        {
            uname = Encoding.UTF8.GetString(CString(block.Slice(UnameOffset, UnameLength)));
            gname = Encoding.UTF8.GetString(CString(block.Slice(GnameOffset, GnameLength)));
            // Device numbers mean something only for devices; some writers leave junk in them otherwise.
            if (typeFlag is TypeChar or TypeBlock)
            {
                devMajor = Numeric(block, DevMajorOffset, DevMajorLength, "devmajor", name, offset);
                devMinor = Numeric(block, DevMinorOffset, DevMinorLength, "devminor", name, offset);
            }
        }

        return new TarHeaderFields(
            format, typeFlag, nameBytes, CString(block.Slice(LinkNameOffset, LinkNameLength)).ToArray(),
            (int)(mode & 0xFFF), uid, gid, size, mtime, uname, gname, devMajor, devMinor);
    }

    /// <summary>
    /// The checksum is the sum of all 512 bytes with the checksum field itself counted as eight spaces. POSIX says
    /// unsigned bytes; old Sun and some other tars summed signed chars, so both sums are accepted (as GNU tar does).
    /// </summary>
    /// <exception cref="InvalidDataException">The block is not a tar header, or a damaged one.</exception>
    public static void VerifyChecksum(ReadOnlySpan<byte> block, long offset) => VerifyChecksum(block, PeekName(block), offset);

    static void VerifyChecksum(ReadOnlySpan<byte> block, string name, long offset)
    {
        if (!TryParseOctal(block.Slice(ChecksumOffset, ChecksumLength), out long stored))
            throw TarErrors.NotAHeader(offset, "its checksum field is not an octal number");

        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            byte b = i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength ? (byte)' ' : block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        if (stored != unsignedSum && stored != signedSum)
        {
            var mismatch = $"bad header checksum (stored {Convert.ToString(stored, 8)}, computed {Convert.ToString(unsignedSum, 8)})";
            // Past the first block a well-formed checksum field with a wrong sum is most likely a damaged header of a
            // real entry, whose name helps; a first block like that is as likely some other file.
            throw offset == 0 ? TarErrors.NotAHeader(0, mismatch) : TarErrors.Malformed(name, offset, mismatch);
        }
    }

    static TarHeaderFormat DetectFormat(ReadOnlySpan<byte> block)
    {
        var magic = block.Slice(MagicOffset, MagicLength);
        if (magic.SequenceEqual(UstarMagic))
            return block.Slice(StarTrailerOffset, StarTrailer.Length).SequenceEqual(StarTrailer) ? TarHeaderFormat.Star : TarHeaderFormat.Ustar;
        // Old GNU: "ustar " followed by " \0" in the version field.
        return magic.SequenceEqual(GnuMagic) ? TarHeaderFormat.Gnu : TarHeaderFormat.V7;
    }

    static long Numeric(ReadOnlySpan<byte> block, int at, int length, string field, string name, long offset, bool allowNegative = false)
    {
        if (!TryParseNumeric(block.Slice(at, length), out long value))
            throw TarErrors.Malformed(name, offset, $"the {field} field is not a number ('{Describe(block.Slice(at, length))}')");
        if (value < 0 && !allowNegative)
            throw TarErrors.Malformed(name, offset, $"the {field} field is negative ({value})");
        return value;
    }

    /// <summary>
    /// A numeric field is either octal ASCII, or, when the high bit of the first byte is set, a big-endian base-256
    /// number (GNU and star use it for values that do not fit: uid/gid ≥ 2^21, sizes ≥ 8 GiB). Bit 6 of the first
    /// byte is the sign of a two's-complement value.
    /// </summary>
    public static bool TryParseNumeric(ReadOnlySpan<byte> field, out long value)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            byte invert = (field[0] & 0x40) != 0 ? (byte)0xFF : (byte)0; // negative: work on the one's complement
            ulong x = 0;
            for (int i = 0; i < field.Length; i++)
            {
                byte c = (byte)(field[i] ^ invert);
                if (i == 0) c &= 0x7F; // drop the base-256 marker bit
                if (x >> 56 != 0) { value = 0; return false; }
                x = x << 8 | c;
            }
            if (x >> 63 != 0) { value = 0; return false; }
            value = invert == 0xFF ? ~(long)x : (long)x;
            return true;
        }
        return TryParseOctal(field, out value);
    }

    /// <summary>
    /// Octal ASCII. Writers pad with leading zeros, spaces or NULs and end with a space or NUL (or neither, when the
    /// number fills the field), so leading and trailing spaces and NULs are trimmed; an all-blank field is 0.
    /// </summary>
    public static bool TryParseOctal(ReadOnlySpan<byte> field, out long value)
    {
        field = field.Trim(" \0"u8);
        value = 0;
        foreach (byte c in field)
        {
            if (c is < (byte)'0' or > (byte)'7' || value > long.MaxValue >> 3)
                return false;
            value = value << 3 | (long)(c - '0');
        }
        return true;
    }

    /// <summary>A fixed field is NUL-terminated unless it is full.</summary>
    public static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return end < 0 ? field : field[..end];
    }

    static string Describe(ReadOnlySpan<byte> field)
    {
        var sb = new StringBuilder(field.Length * 2);
        foreach (byte b in field)
            sb.Append(b is >= 0x20 and < 0x7F ? (char)b : $"\\x{b:x2}");
        return sb.ToString();
    }
}
