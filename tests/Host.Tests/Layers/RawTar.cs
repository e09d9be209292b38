using System.Text;
using ImageCache.Host.Layers;
using Xunit;

namespace ImageCache.Host.Tests.Layers;

/// <summary>
/// Builds tar archives block by block, for the cases TarWriter cannot produce: binary PAX values, GNU long
/// names, base-256 numbers, bad checksums, sparse typeflags, truncations.
/// </summary>
internal sealed class RawTar
{
    readonly MemoryStream output = new();

    /// <summary>One 512-byte header with a correct (unsigned) checksum; <paramref name="tweak"/> runs before the checksum.</summary>
    public static byte[] HeaderBlock(
        string name, char type = '0', long size = 0, int mode = 0x1A4 /* 0644 */, long uid = 0, long gid = 0,
        long mtime = 1_700_000_000, string link = "", string magic = "ustar\0", string version = "00",
        string uname = "", string gname = "", long devMajor = 0, long devMinor = 0, string prefix = "",
        Action<byte[]>? tweak = null)
    {
        var h = new byte[512];
        Put(h, 0, 100, Encoding.UTF8.GetBytes(name));
        Numeric(h, 100, 8, mode);
        Numeric(h, 108, 8, uid);
        Numeric(h, 116, 8, gid);
        Numeric(h, 124, 12, size);
        Numeric(h, 136, 12, mtime);
        h[156] = (byte)type;
        Put(h, 157, 100, Encoding.UTF8.GetBytes(link));
        Put(h, 257, 6, Encoding.ASCII.GetBytes(magic));
        Put(h, 263, 2, Encoding.ASCII.GetBytes(version));
        Put(h, 265, 32, Encoding.UTF8.GetBytes(uname));
        Put(h, 297, 32, Encoding.UTF8.GetBytes(gname));
        Numeric(h, 329, 8, devMajor);
        Numeric(h, 337, 8, devMinor);
        Put(h, 345, 155, Encoding.UTF8.GetBytes(prefix));
        tweak?.Invoke(h);
        SetChecksum(h);
        return h;
    }

    /// <summary>Octal with a trailing NUL when it fits, else base-256 (high bit set), as GNU tar writes.</summary>
    public static void Numeric(byte[] h, int at, int length, long value)
    {
        string octal = Convert.ToString(value, 8);
        if (value >= 0 && octal.Length <= length - 1)
        {
            Put(h, at, length, Encoding.ASCII.GetBytes(octal.PadLeft(length - 1, '0') + "\0"));
            return;
        }
        Base256(h, at, length, value);
    }

    public static void Base256(byte[] h, int at, int length, long value)
    {
        for (int i = length - 1; i >= 0; i--, value >>= 8)
            h[at + i] = (byte)value;
        h[at] |= 0x80;
    }

    public static void Ascii(byte[] h, int at, int length, string text)
    {
        Array.Clear(h, at, length);
        Put(h, at, length, Encoding.ASCII.GetBytes(text));
    }

    public static void SetChecksum(byte[] h)
    {
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        int sum = h.Sum(b => b);
        Put(h, 148, 8, Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 "));
    }

    static void Put(byte[] h, int at, int length, byte[] value)
    {
        if (value.Length > length) throw new ArgumentException($"field too long: {value.Length} > {length}");
        value.CopyTo(h, at);
    }

    /// <summary>One PAX record: the length prefix counts itself, so iterate to the fixed point.</summary>
    public static byte[] PaxRecord(string key, byte[] value)
    {
        int body = 1 + Encoding.UTF8.GetByteCount(key) + 1 + value.Length + 1;
        int length = body;
        while (length.ToString().Length + body != length)
            length = length.ToString().Length + body;
        return [.. Encoding.ASCII.GetBytes($"{length} {key}="), .. value, (byte)'\n'];
    }

    public static byte[] PaxRecord(string key, string value) => PaxRecord(key, Encoding.UTF8.GetBytes(value));

    public RawTar Block(byte[] block) { output.Write(block); return this; }

    public RawTar Bytes(byte[] bytes) { output.Write(bytes); return this; }

    /// <summary>Data and its zero padding to a whole block.</summary>
    public RawTar Data(byte[] data)
    {
        output.Write(data);
        output.Write(new byte[(512 - data.Length % 512) % 512]);
        return this;
    }

    public RawTar Entry(string name, char type = '0', byte[]? data = null, string link = "", long uid = 0, long gid = 0, int mode = 0x1A4)
    {
        data ??= [];
        Block(HeaderBlock(name, type, data.Length, mode, uid, gid, link: link));
        return Data(data);
    }

    public RawTar Pax(char type, params byte[][] records)
    {
        byte[] data = [.. records.SelectMany(r => r)];
        Block(HeaderBlock(type == 'g' ? "GlobalHead.0.0" : "PaxHeaders.0/entry", type, data.Length));
        return Data(data);
    }

    public RawTar GnuLong(char type, string value)
    {
        byte[] data = [.. Encoding.UTF8.GetBytes(value), 0];
        Block(HeaderBlock("././@LongLink", type, data.Length, magic: "ustar ", version: " \0"));
        return Data(data);
    }

    public RawTar End() { output.Write(new byte[1024]); return this; }

    public byte[] ToArray() => output.ToArray();
}

/// <summary>A read-only stream that refuses to seek and hands out at most <c>chunk</c> bytes per read.</summary>
internal sealed class TrickleStream(byte[] data, int chunk = int.MaxValue) : Stream
{
    int position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("no Length: the reader must not need it");
    public override long Position
    {
        get => throw new NotSupportedException("no Position: the reader must not need it");
        set => throw new NotSupportedException("no seeking");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(buffer.Length, chunk), data.Length - position);
        data.AsSpan(position, n).CopyTo(buffer);
        position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("no seeking");
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal static class Tar
{
    /// <summary>Reads every entry with its full data, through a non-seekable stream that returns short reads.</summary>
    public static async Task<List<(TarEntryHeader Header, byte[] Data)>> ReadAllAsync(byte[] archive, TarReaderOptions? options = null, int chunk = 700)
    {
        var result = new List<(TarEntryHeader, byte[])>();
        await using var reader = new TarReader(new TrickleStream(archive, chunk), options);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var data = new MemoryStream();
            await entry.DataStream.CopyToAsync(data);
            result.Add((entry.Header, data.ToArray()));
        }
        return result;
    }

    public static async Task<TarEntryHeader> SingleAsync(byte[] archive) => Assert.Single(await ReadAllAsync(archive)).Header;

    public static async Task<InvalidDataException> FailsAsync(byte[] archive, TarReaderOptions? options = null) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(archive, options));
}
