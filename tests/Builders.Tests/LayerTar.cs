using System.Globalization;
using System.Text;

namespace ImageCache.Builders.Tests;

/// <summary>
/// Writes layer tars byte by byte: a PAX header carries every name, owner, time and xattr (binary values kept
/// exactly, unlike System.Formats.Tar), so the tests can also write what no sane producer would (hostile names).
/// </summary>
internal sealed class LayerTar
{
    private readonly MemoryStream _stream = new();
    public static readonly DateTimeOffset DefaultTime = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    public LayerTar Dir(string name, int mode = 0b111_101_101, long uid = 0, long gid = 0, IReadOnlyDictionary<string, byte[]>? xattrs = null) =>
        Add(name, '5', mode, uid, gid, null, null, 0, 0, xattrs);

    public LayerTar File(string name, string content = "", int mode = 0b110_100_100, long uid = 0, long gid = 0, IReadOnlyDictionary<string, byte[]>? xattrs = null) =>
        Add(name, '0', mode, uid, gid, null, Encoding.UTF8.GetBytes(content), 0, 0, xattrs);

    public LayerTar File(string name, byte[] content, int mode = 0b110_100_100) => Add(name, '0', mode, 0, 0, null, content, 0, 0, null);

    public LayerTar Symlink(string name, string target, long uid = 0) => Add(name, '2', 0b111_111_111, uid, uid, target, null, 0, 0, null);

    public LayerTar HardLink(string name, string target) => Add(name, '1', 0b110_100_100, 0, 0, target, null, 0, 0, null);

    public LayerTar CharDevice(string name, int major, int minor) => Add(name, '3', 0b110_110_110, 0, 0, null, null, major, minor, null);

    public LayerTar BlockDevice(string name, int major, int minor) => Add(name, '4', 0b110_110_000, 0, 6, null, null, major, minor, null);

    public LayerTar Fifo(string name) => Add(name, '6', 0b110_100_100, 0, 0, null, null, 0, 0, null);

    /// <summary>A large file of a repeating pattern, written straight to the tar.</summary>
    public LayerTar BigFile(string name, long size)
    {
        WriteHeaders(name, '0', 0b110_100_100, 0, 0, null, size, 0, 0, null);
        var block = new byte[1 << 20];
        for (var i = 0; i < block.Length; i++) block[i] = (byte)(i * 31 + 7);
        for (var left = size; left > 0; left -= block.Length) _stream.Write(block, 0, (int)Math.Min(left, block.Length));
        Pad(size);
        return this;
    }

    public byte[] Finish()
    {
        _stream.Write(new byte[1024]);
        return _stream.ToArray();
    }

    private LayerTar Add(string name, char type, int mode, long uid, long gid, string? link, byte[]? data, int major, int minor, IReadOnlyDictionary<string, byte[]>? xattrs)
    {
        WriteHeaders(name, type, mode, uid, gid, link, data?.Length ?? 0, major, minor, xattrs);
        if (data is { Length: > 0 })
        {
            _stream.Write(data);
            Pad(data.Length);
        }

        return this;
    }

    private void WriteHeaders(string name, char type, int mode, long uid, long gid, string? link, long size, int major, int minor, IReadOnlyDictionary<string, byte[]>? xattrs)
    {
        var records = new MemoryStream();
        Record(records, "path", Encoding.UTF8.GetBytes(name));
        if (link is not null) Record(records, "linkpath", Encoding.UTF8.GetBytes(link));
        Record(records, "uid", Ascii(uid));
        Record(records, "gid", Ascii(gid));
        Record(records, "mtime", Ascii(DefaultTime.ToUnixTimeSeconds()));
        foreach (var (key, value) in xattrs ?? new Dictionary<string, byte[]>()) Record(records, "SCHILY.xattr." + key, value);
        var pax = records.ToArray();
        _stream.Write(Header("PaxHeaders/x", 'x', 0b110_100_100, 0, 0, "", pax.Length, 0, 0));
        _stream.Write(pax);
        Pad(pax.Length);
        var shortName = Encoding.UTF8.GetByteCount(name) <= 100 && !name.Contains('\0') ? name : "pax-long-name";
        _stream.Write(Header(shortName, type, mode, Math.Min(uid, 0x1FFFFF), Math.Min(gid, 0x1FFFFF), link is { Length: <= 100 } ? link : "", size, major, minor));
    }

    private static byte[] Ascii(long value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    private static void Record(Stream records, string key, byte[] value)
    {
        var body = Encoding.UTF8.GetByteCount(key) + value.Length + 3; // ' ', '=', '\n'
        var length = body + 1;
        while (length.ToString(CultureInfo.InvariantCulture).Length + body != length) length++;
        records.Write(Encoding.ASCII.GetBytes($"{length} {key}="));
        records.Write(value);
        records.WriteByte((byte)'\n');
    }

    private static byte[] Header(string name, char type, int mode, long uid, long gid, string link, long size, int major, int minor)
    {
        var header = new byte[512];
        void Text(int offset, int length, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Array.Copy(bytes, 0, header, offset, Math.Min(bytes.Length, length));
        }

        void Octal(int offset, int length, long value) => Text(offset, length - 1, Convert.ToString(value, 8).PadLeft(length - 1, '0'));
        Text(0, 100, name);
        Octal(100, 8, mode);
        Octal(108, 8, uid);
        Octal(116, 8, gid);
        Octal(124, 12, size);
        Octal(136, 12, DefaultTime.ToUnixTimeSeconds());
        header[156] = (byte)type;
        Text(157, 100, link);
        Text(257, 6, "ustar");
        Text(263, 2, "00");
        Octal(329, 8, major);
        Octal(337, 8, minor);
        for (var i = 148; i < 156; i++) header[i] = (byte)' ';
        var sum = header.Sum(b => (long)b);
        Text(148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return header;
    }

    private void Pad(long length)
    {
        var rest = (int)(length % 512);
        if (rest != 0) _stream.Write(new byte[512 - rest]);
    }
}
