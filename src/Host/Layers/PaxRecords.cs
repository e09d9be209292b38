using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace ImageCache.Host.Layers;

/// <summary>
/// Span-based decoding of PAX extended header data (POSIX pax "pax Extended Header" format) and of the values of
/// the keywords the reader uses.
/// </summary>
/// <remarks>
/// Why not System.Formats.Tar: on .NET 10.0.12 its <c>PaxTarEntry.ExtendedAttributes</c> is a
/// <c>Dictionary&lt;string,string&gt;</c> whose values are decoded as UTF-8, so a binary
/// <c>SCHILY.xattr.security.capability</c> value loses every byte that is not valid UTF-8: the bytes
/// <c>01 00 00 02 00 20 00 00 FF 00 …</c> come back as the chars <c>0001 0000 0000 0002 0000 0020 0000 0000 FFFD 0000 …</c>,
/// and re-encoding gives <c>… EF BF BD …</c> instead of <c>FF</c> (checked with a hand-built PAX header; see
/// TarReaderPaxTests.System_Formats_Tar_loses_binary_xattr_bytes). It also rejects the whole archive ("The extended
/// header contains invalid records.") when a value contains '\n', which a binary capability may (0x0A); see
/// TarReaderPaxTests.System_Formats_Tar_rejects_a_pax_value_containing_a_newline. Records are therefore parsed here,
/// on bytes.
/// </remarks>
internal static class PaxRecords
{
    public const string Path = "path", LinkPath = "linkpath", Size = "size", Uid = "uid", Gid = "gid", Mtime = "mtime";
    public const string Uname = "uname", Gname = "gname";
    public const string SchilyXattrPrefix = "SCHILY.xattr.", LibarchiveXattrPrefix = "LIBARCHIVE.xattr.";
    public const string GnuSparsePrefix = "GNU.sparse.", GnuSparseName = "GNU.sparse.name";

    /// <summary>
    /// Adds the records of <paramref name="data"/> to <paramref name="into"/> (a later record of the same key wins).
    /// Each record is <c>"%d %s=%s\n"</c> where the decimal length counts every byte of the record, itself and the
    /// newline included. The value is taken by that byte count, never by scanning, because values (binary xattrs,
    /// names) may contain '\n', '=' and NUL. An empty value is kept: it means "unset this keyword".
    /// </summary>
    /// <exception cref="InvalidDataException">A record is malformed.</exception>
    public static void Parse(ReadOnlySpan<byte> data, Dictionary<string, byte[]> into, string entryName, long offset)
    {
        while (!data.IsEmpty)
        {
            // Some writers pad the data with NULs after the last record.
            if (!data.ContainsAnyExcept((byte)0))
                break;

            int space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data[..space], System.Globalization.NumberStyles.None, null, out int length))
                throw TarErrors.Malformed(entryName, offset, "a PAX record does not start with its decimal length");
            if (length <= space + 1 || length > data.Length)
                throw TarErrors.Malformed(entryName, offset, $"a PAX record length ({length}) runs past the end of the extended header ({data.Length} bytes left)");

            var record = data[(space + 1)..length];
            if (record[^1] != (byte)'\n')
                throw TarErrors.Malformed(entryName, offset, "a PAX record does not end with a newline where its length says");
            record = record[..^1];

            int equals = record.IndexOf((byte)'=');
            if (equals <= 0)
                throw TarErrors.Malformed(entryName, offset, "a PAX record has no keyword");
            var key = record[..equals];
            if (key.Contains((byte)0) || !Utf8.IsValid(key))
                throw TarErrors.Malformed(entryName, offset, "a PAX keyword contains NUL or is not UTF-8");

            into[Encoding.UTF8.GetString(key)] = record[(equals + 1)..].ToArray();
            data = data[length..];
        }
    }

    /// <summary>A non-negative decimal integer (<c>size</c>, <c>uid</c>, <c>gid</c>).</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> value, out long result) =>
        Utf8Parser.TryParse(value, out result, out int consumed, 'D') && consumed == value.Length && result >= 0
        && value.Length > 0 && value[0] is >= (byte)'0' and <= (byte)'9';

    /// <summary>
    /// A PAX time: optional '-', decimal seconds since the epoch, optional '.' and a fraction of any length
    /// (GNU tar writes nanoseconds). Kept to the 100 ns tick of <see cref="DateTimeOffset"/>, extra digits truncated.
    /// </summary>
    public static bool TryParseTime(ReadOnlySpan<byte> value, out DateTimeOffset time)
    {
        time = default;
        bool negative = !value.IsEmpty && value[0] == (byte)'-';
        if (negative) value = value[1..];
        int dot = value.IndexOf((byte)'.');
        var whole = dot < 0 ? value : value[..dot];
        var fraction = dot < 0 ? ReadOnlySpan<byte>.Empty : value[(dot + 1)..];
        if (whole.IsEmpty || whole.ContainsAnyExceptInRange((byte)'0', (byte)'9') || fraction.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            return false;
        if (!Utf8Parser.TryParse(whole, out long seconds, out _) || seconds > 253402300799L)
            return false;

        long ticks = 0;
        for (int i = 0; i < 7; i++)
            ticks = ticks * 10 + (i < fraction.Length ? fraction[i] - '0' : 0);

        long total = seconds * TimeSpan.TicksPerSecond + ticks;
        if (negative) total = -total;
        long min = DateTimeOffset.MinValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long max = DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (total < min || total > max)
            return false;
        time = DateTimeOffset.UnixEpoch.AddTicks(total);
        return true;
    }

    /// <summary>
    /// libarchive writes <c>LIBARCHIVE.xattr.</c> + the URL-encoded (%XX) attribute name, with a base64 value.
    /// </summary>
    public static bool TryDecodeLibarchiveName(string encoded, out string name)
    {
        name = encoded;
        if (!encoded.Contains('%'))
            return true;
        var bytes = new List<byte>(encoded.Length);
        var utf8 = Encoding.UTF8.GetBytes(encoded);
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != (byte)'%') { bytes.Add(utf8[i]); continue; }
            if (i + 2 >= utf8.Length || !byte.TryParse(utf8.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b))
                return false;
            bytes.Add(b);
            i += 2;
        }
        name = Encoding.UTF8.GetString([.. bytes]);
        return true;
    }

    /// <summary>Decodes a base64 value; libarchive omits the '=' padding.</summary>
    public static bool TryDecodeBase64(ReadOnlySpan<byte> value, out byte[] decoded)
    {
        int padded = (value.Length + 3) / 4 * 4;
        var buffer = new byte[padded];
        value.CopyTo(buffer);
        buffer.AsSpan(value.Length).Fill((byte)'=');
        decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(padded)];
        var status = Base64.DecodeFromUtf8(buffer, decoded, out _, out int written);
        decoded = decoded[..written];
        return status == System.Buffers.OperationStatus.Done;
    }
}
