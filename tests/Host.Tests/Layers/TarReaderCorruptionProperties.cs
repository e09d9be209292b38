using CsCheck;
using Xunit;

namespace ImageCache.Host.Tests.Layers;

/// <summary>Hostile input: a corrupted or cut archive fails only with InvalidDataException, never anything else.</summary>
public sealed class TarReaderCorruptionProperties
{
    static readonly byte[] Sample = BuildSample();

    static byte[] BuildSample() => new RawTar()
        .Pax('g', RawTar.PaxRecord("uid", "5"))
        .Pax('x', RawTar.PaxRecord("SCHILY.xattr.security.capability", [1, 0, 0, 2, 0xFF, 10]), RawTar.PaxRecord("mtime", "1.5"), RawTar.PaxRecord("path", "p/q"))
        .Entry("a", data: new byte[700])
        .GnuLong('L', new string('l', 150))
        .GnuLong('K', new string('k', 150))
        .Entry("b", '2')
        .Block(RawTar.HeaderBlock("c", '3', devMajor: 1, devMinor: 3))
        .End().ToArray();

    [Fact]
    public void Corrupted_archives_fail_only_with_InvalidDataException()
    {
        var gen =
            from flips in Gen.Select(Gen.Int[0, Sample.Length - 1], Gen.Byte).Array[1, 6]
            from cut in Gen.Int[0, Sample.Length]
            select (flips, cut);

        gen.Sample(c =>
        {
            var archive = Sample[..c.cut];
            foreach (var (at, value) in c.flips)
                if (at < archive.Length) archive[at] = value;
            try
            {
                Tar.ReadAllAsync(archive, chunk: 211).GetAwaiter().GetResult();
            }
            catch (InvalidDataException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }, iter: 2000);
    }
}
