using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace ImageCache.Samples.Tests;

/// <summary>
/// A small root filesystem made by the test: directories, files of several sizes and modes (one setuid, stripped by
/// default), foreign owners, a symlink, a hard link, a character device, a FIFO and fixed mtimes; as plain tar, gzip or zstd.
/// </summary>
internal static class RootfsTarball
{
    static readonly DateTimeOffset Time = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    public static byte[] Tar()
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            void Dir(string name, int mode, int uid = 0) =>
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode, Uid = uid, Gid = uid, ModificationTime = Time });
            void File(string name, byte[] data, int mode, int uid = 0, int gid = 0) =>
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Time.AddHours(uid), DataStream = new MemoryStream(data),
                });
            Dir("bin/", 0b111_101_101);
            Dir("etc/", 0b111_101_101);
            Dir("home/", 0b111_101_101);
            Dir("home/user/", 0b111_000_000, uid: 1000);
            Dir("tmp/", 0b1_111_111_111);
            Dir("dev/", 0b111_101_101);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { Mode = (UnixFileMode)0b110_110_110, DeviceMajor = 1, DeviceMinor = 3, ModificationTime = Time });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "dev/initctl") { Mode = (UnixFileMode)0b110_000_000, ModificationTime = Time });
            File("bin/busybox", Encoding.ASCII.GetBytes("#!/bin/sh\necho busybox\n"), 0b100_111_101_101);
            File("etc/hostname", Encoding.ASCII.GetBytes("sample\n"), 0b110_100_100);
            File("etc/empty", [], 0b110_000_000);
            File("home/user/notes.txt", Encoding.ASCII.GetBytes("owned by 1000:1001\n"), 0b110_100_000, uid: 1000, gid: 1001);
            var big = new byte[300_000];
            for (var i = 0; i < big.Length; i++) big[i] = (byte)(i * 7 % 251);
            File("etc/big.bin", big, 0b110_100_100);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "busybox", ModificationTime = Time });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "bin/ls") { LinkName = "bin/busybox", ModificationTime = Time });
        }
        return stream.ToArray();
    }

    public static byte[] Gzip(byte[] tar)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        return output.ToArray();
    }

    public static byte[] Zstd(byte[] tar)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(tar).ToArray();
    }
}
