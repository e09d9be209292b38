using System.Formats.Tar;
using CsCheck;
using ImageCache.Host.Layers;
using Xunit;

namespace ImageCache.Host.Tests.Layers;

/// <summary>Random entries written by System.Formats.Tar's TarWriter (PAX format) read back equal.</summary>
public sealed class TarReaderRoundTripProperties
{
    sealed record Spec(TarEntryType Type, string Name, int Mode, int Uid, int Gid, long MtimeSeconds, string Link, byte[] Data);

    static readonly Gen<string> Component = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzé-_.ü字0123456789"], 1, 40];

    static readonly Gen<string> PathGen = Component.Array[1, 8].Select(parts => string.Join('/', parts));

    static readonly Gen<Spec> EntryGen =
        from type in Gen.OneOf(TarEntryType.RegularFile, TarEntryType.Directory, TarEntryType.SymbolicLink, TarEntryType.HardLink, TarEntryType.Fifo)
        from name in PathGen
        from mode in Gen.Int[0, 0xFFF]
        from uid in Gen.Int[0, int.MaxValue]
        from gid in Gen.Int[0, 70000]
        from mtime in Gen.Long[0, 4_000_000_000]
        from link in PathGen
        from data in Gen.Byte.Array[0, 3000]
        select new Spec(type, name, mode, uid, gid, mtime,
            type is TarEntryType.SymbolicLink or TarEntryType.HardLink ? link : "",
            type == TarEntryType.RegularFile ? data : []);

    [Fact]
    public void Pax_archives_written_by_TarWriter_read_back_equal()
    {
        EntryGen.Array[0, 12].Sample(specs =>
        {
            var archive = new MemoryStream();
            using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
                foreach (var s in specs)
                {
                    var e = new PaxTarEntry(s.Type, s.Name)
                    {
                        Mode = (UnixFileMode)s.Mode,
                        Uid = s.Uid,
                        Gid = s.Gid,
                        ModificationTime = DateTimeOffset.FromUnixTimeSeconds(s.MtimeSeconds),
                    };
                    if (s.Link != "") e.LinkName = s.Link;
                    if (s.Type == TarEntryType.RegularFile) e.DataStream = new MemoryStream(s.Data);
                    writer.WriteEntry(e);
                }

            var read = Tar.ReadAllAsync(archive.ToArray(), chunk: 1 + specs.Length * 97).GetAwaiter().GetResult();

            Assert.Equal(specs.Length, read.Count);
            for (int i = 0; i < specs.Length; i++)
            {
                var (s, (h, data)) = (specs[i], read[i]);
                Assert.Equal(s.Name, h.Name);
                Assert.Equal(s.Mode, h.Mode);
                Assert.Equal((long)s.Uid, h.Uid);
                Assert.Equal((long)s.Gid, h.Gid);
                Assert.Equal(s.MtimeSeconds, h.ModifiedTime.ToUnixTimeSeconds());
                Assert.Equal(s.Link, h.LinkName);
                Assert.Equal(s.Data, data);
            }
        });
    }
}
