using System.Buffers;
using System.Globalization;
using System.Text;

namespace ImageCache.Builders.Squashfs;

/// <summary>The header of one tar member, as <see cref="PaxTarWriter"/> writes it.</summary>
/// <param name="Name">Member name (UTF-8 on the wire), e.g. <c>./</c> or <c>usr/bin/env</c>.</param>
/// <param name="TypeFlag">The ustar type flag: <c>0</c> file, <c>1</c> hard link, <c>2</c> symlink, <c>3</c> char device, <c>4</c> block device, <c>5</c> directory, <c>6</c> FIFO.</param>
/// <param name="Mode">Permission bits (<c>07777</c>).</param>
/// <param name="Uid">Owner user id (any non-negative value; large ones go to a PAX record).</param>
/// <param name="Gid">Owner group id.</param>
/// <param name="ModifiedTime">Modification time; sub-second parts go to a PAX <c>mtime</c> record.</param>
/// <param name="LinkName">Symlink target or hard link's member name.</param>
/// <param name="DeviceMajor">Device major number.</param>
/// <param name="DeviceMinor">Device minor number.</param>
/// <param name="Size">Data bytes following the header (regular files only).</param>
/// <param name="Xattrs">Extended attributes, written as <c>SCHILY.xattr.NAME</c> records with raw byte values.</param>
internal sealed record TarHeader(
    string Name,
    char TypeFlag,
    int Mode,
    long Uid,
    long Gid,
    DateTimeOffset ModifiedTime,
    string? LinkName = null,
    int DeviceMajor = 0,
    int DeviceMinor = 0,
    long Size = 0,
    IReadOnlyDictionary<string, byte[]>? Xattrs = null);

/// <summary>
/// A small POSIX.1-2001 (PAX) tar writer. Unlike System.Formats.Tar it writes PAX values as raw bytes, so binary
/// xattr values (<c>security.capability</c>) survive; record lengths are counted in bytes.
/// </summary>
/// <remarks>
/// A PAX extended header (<c>x</c>) precedes a member only when needed: a name or link name over 100 bytes,
/// an id over 7 octal digits, a size over 11 octal digits, a time with a fraction or outside the octal field,
/// or any xattr. Output depends only on the headers and data given, so it is reproducible.
/// </remarks>
internal sealed class PaxTarWriter(Stream output)
{
    public const int BlockSize = 512;
    private const long MaxOctal7 = 0x1FFFFF;        // 07777777
    private const long MaxOctal11 = 0x1FFFFFFFF;    // 077777777777
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes one member: its PAX header if needed, its ustar header, and <paramref name="data"/> (exactly <see cref="TarHeader.Size"/> bytes) padded to a block.</summary>
    /// <exception cref="ArgumentException">A name contains NUL, an id or number is negative, or a device number does not fit.</exception>
    /// <exception cref="InvalidDataException">The data stream is shorter or longer than the declared size.</exception>
    public async ValueTask WriteEntryAsync(TarHeader header, Stream? data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        var name = Encode(header.Name, "name");
        var link = header.LinkName is null ? [] : Encode(header.LinkName, "link name");
        if (name.Length == 0) throw new ArgumentException("A tar member name cannot be empty.", nameof(header));
        if (header.Uid < 0 || header.Gid < 0) throw new ArgumentException($"Negative owner id for '{header.Name}'.", nameof(header));
        if (header.Size < 0) throw new ArgumentException($"Negative size for '{header.Name}'.", nameof(header));
        if (header.DeviceMajor is < 0 or > (int)MaxOctal7 || header.DeviceMinor is < 0 or > (int)MaxOctal7)
            throw new ArgumentException($"Device number {header.DeviceMajor}:{header.DeviceMinor} of '{header.Name}' does not fit a tar header.", nameof(header));

        var records = new List<(string Key, byte[] Value)>();
        if (name.Length > 100) records.Add(("path", name));
        if (link.Length > 100) records.Add(("linkpath", link));
        if (header.Uid > MaxOctal7) records.Add(("uid", Ascii(header.Uid)));
        if (header.Gid > MaxOctal7) records.Add(("gid", Ascii(header.Gid)));
        if (header.Size > MaxOctal11) records.Add(("size", Ascii(header.Size)));
        var (seconds, fraction) = SplitTime(header.ModifiedTime);
        if (fraction != 0 || seconds < 0 || seconds > MaxOctal11)
            records.Add(("mtime", Encoding.ASCII.GetBytes(FormatTime(header.ModifiedTime))));
        if (header.Xattrs is { Count: > 0 } xattrs)
        {
            foreach (var (key, value) in xattrs.OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
                    throw new ArgumentException($"Xattr name '{key}' of '{header.Name}' cannot be written to a PAX record.", nameof(header));
                records.Add(("SCHILY.xattr." + key, value));
            }
        }

        if (records.Count > 0)
        {
            var pax = PaxData(records);
            var paxHeader = Ustar("PaxHeader"u8, 'x', 0x1A4, 0, 0, 0, [], 0, 0, pax.Length);
            await output.WriteAsync(paxHeader, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(pax, cancellationToken).ConfigureAwait(false);
            await PadAsync(pax.Length, cancellationToken).ConfigureAwait(false);
        }

        var ustar = Ustar(Truncate(name, 100), header.TypeFlag, header.Mode & 0xFFF,
            header.Uid > MaxOctal7 ? 0 : header.Uid, header.Gid > MaxOctal7 ? 0 : header.Gid,
            Math.Clamp(seconds, 0, MaxOctal11), Truncate(link, 100), header.DeviceMajor, header.DeviceMinor,
            header.Size > MaxOctal11 ? 0 : header.Size);
        await output.WriteAsync(ustar, cancellationToken).ConfigureAwait(false);

        if (header.Size > 0 || data is not null)
        {
            if (data is null) throw new InvalidDataException($"'{header.Name}' declares {header.Size} bytes but has no data.");
            await CopyExactlyAsync(data, header.Size, header.Name, cancellationToken).ConfigureAwait(false);
            await PadAsync(header.Size, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the end-of-archive marker (two zero blocks) and flushes.</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken)
    {
        await output.WriteAsync(new byte[2 * BlockSize], cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The body of a PAX extended header: <c>"LEN KEY=VALUE\n"</c> records, LEN counting bytes of the whole record.</summary>
    internal static byte[] PaxData(IReadOnlyList<(string Key, byte[] Value)> records)
    {
        using var buffer = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var keyBytes = Utf8.GetBytes(key);
            var baseLength = keyBytes.Length + value.Length + 3; // ' ', '=', '\n'
            var length = baseLength + Digits(baseLength);
            if (Digits(length) > Digits(baseLength)) length = baseLength + Digits(length); // e.g. 99 + 2 = 101 needs 3 digits
            buffer.Write(Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture)));
            buffer.WriteByte((byte)' ');
            buffer.Write(keyBytes);
            buffer.WriteByte((byte)'=');
            buffer.Write(value);
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    private static int Digits(int value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static byte[] Ustar(ReadOnlySpan<byte> name, char typeFlag, int mode, long uid, long gid, long mtime,
        ReadOnlySpan<byte> link, int major, int minor, long size)
    {
        var block = new byte[BlockSize];
        name.CopyTo(block.AsSpan(0, 100));
        Octal(block.AsSpan(100, 8), mode);
        Octal(block.AsSpan(108, 8), uid);
        Octal(block.AsSpan(116, 8), gid);
        Octal(block.AsSpan(124, 12), size);
        Octal(block.AsSpan(136, 12), mtime);
        block[156] = (byte)typeFlag;
        link.CopyTo(block.AsSpan(157, 100));
        "ustar\0"u8.CopyTo(block.AsSpan(257));
        "00"u8.CopyTo(block.AsSpan(263));
        if (typeFlag is '3' or '4')
        {
            Octal(block.AsSpan(329, 8), major);
            Octal(block.AsSpan(337, 8), minor);
        }

        block.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in block) sum += b;
        Octal(block.AsSpan(148, 7), sum); // six digits, NUL, and the space already there
        return block;
    }

    /// <summary>Zero-padded octal digits filling all but the last byte of the field, then NUL.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }

        if (value != 0) throw new ArgumentOutOfRangeException(nameof(value), "Value does not fit its tar header field.");
        field[digits] = 0;
    }

    private static (long Seconds, long FractionTicks) SplitTime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += TimeSpan.TicksPerSecond;
        }

        return (seconds, fraction);
    }

    /// <summary>Decimal seconds since the epoch with up to seven fractional digits, trailing zeros dropped.</summary>
    internal static string FormatTime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks; // |ticks| < 2^63, so negating is safe
        var magnitude = Math.Abs(ticks);
        var whole = Math.DivRem(magnitude, TimeSpan.TicksPerSecond, out var rest);
        var text = (ticks < 0 ? "-" : "") + whole.ToString(CultureInfo.InvariantCulture);
        if (rest != 0) text += "." + rest.ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');
        return text;
    }

    private static byte[] Encode(string text, string what)
    {
        if (text.Contains('\0')) throw new ArgumentException($"A tar member {what} cannot contain NUL: '{text.Replace("\0", "\\0", StringComparison.Ordinal)}'.");
        return Utf8.GetBytes(text);
    }

    private static byte[] Ascii(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    private static ReadOnlySpan<byte> Truncate(byte[] bytes, int length) => bytes.AsSpan(0, Math.Min(bytes.Length, length));

    private async ValueTask PadAsync(long length, CancellationToken cancellationToken)
    {
        var pad = (int)((BlockSize - length % BlockSize) % BlockSize);
        if (pad > 0) await output.WriteAsync(new byte[pad], cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask CopyExactlyAsync(Stream data, long size, string name, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            var remaining = size;
            while (remaining > 0)
            {
                var read = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new InvalidDataException($"'{name}' ended after {size - remaining} of its {size} bytes.");
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                remaining -= read;
            }

            if (await data.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
                throw new InvalidDataException($"'{name}' has more data than its declared {size} bytes.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
