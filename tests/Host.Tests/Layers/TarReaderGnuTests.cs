using System.Text;
using ImageCache.Host.Layers;
using Xunit;
using static ImageCache.Host.Tests.Layers.RawTar;

namespace ImageCache.Host.Tests.Layers;

/// <summary>GNU extensions built by hand: long names and links, base-256 numbers, sparse files.</summary>
public sealed class TarReaderGnuTests
{
    static readonly string LongName = string.Join('/', Enumerable.Repeat("a-fairly-long-directory", 6)) + "/file.txt";
    static readonly string LongTarget = "../" + string.Join('/', Enumerable.Repeat("target-component", 8));

    [Fact]
    public async Task Gnu_long_name_and_long_link_over_100_bytes_apply_to_the_next_entry_only()
    {
        var archive = new RawTar()
            .GnuLong('L', LongName)
            .Block(HeaderBlock(LongName[..99], '0', 3, magic: "ustar ", version: " \0")).Data("abc"u8.ToArray())
            .GnuLong('L', LongName + ".lnk")
            .GnuLong('K', LongTarget)
            .Block(HeaderBlock("truncated.lnk", '2', magic: "ustar ", version: " \0", link: LongTarget[..99]))
            .Entry("plain")
            .End().ToArray();

        var entries = await Tar.ReadAllAsync(archive);

        Assert.True(LongName.Length > 100 && LongTarget.Length > 100);
        Assert.Equal([LongName, LongName + ".lnk", "plain"], entries.Select(e => e.Header.Name));
        Assert.Equal("abc"u8.ToArray(), entries[0].Data);
        Assert.Equal(TarEntryKind.SymbolicLink, entries[1].Header.Kind);
        Assert.Equal(LongTarget, entries[1].Header.LinkName);
        Assert.Equal("", entries[2].Header.LinkName);
    }

    [Fact]
    public async Task A_gnu_long_name_over_the_limit_is_refused()
    {
        var archive = new RawTar().GnuLong('L', new string('n', 2000)).Entry("x").End().ToArray();

        var e = await Tar.FailsAsync(archive, new TarReaderOptions { MaxNameLength = 1024 });

        Assert.Contains("GNU long name is 2001 bytes, over the limit of 1025", e.Message);
    }

    [Fact]
    public async Task Base256_uid_and_gid_up_to_2_pow_32_minus_2()
    {
        var archive = new RawTar()
            .Block(HeaderBlock("nobody-file", uid: 4294967294, gid: 2097152, magic: "ustar ", version: " \0"))
            .End().ToArray();

        var header = await Tar.SingleAsync(archive);

        Assert.Equal(4294967294L, header.Uid);
        Assert.Equal(2097152L, header.Gid); // one past the 7 octal digits of an 8-byte field
    }

    [Fact]
    public async Task A_negative_base256_mtime_is_before_1970()
    {
        var archive = new RawTar().Block(HeaderBlock("old", tweak: h =>
        {
            RawTar.Base256(h, 136, 12, -86400);
            h[136] |= 0x40; // sign bit of the two's-complement value (already set by the cast; explicit for clarity)
        })).End().ToArray();

        Assert.Equal(new DateTimeOffset(1969, 12, 31, 0, 0, 0, TimeSpan.Zero), (await Tar.SingleAsync(archive)).ModifiedTime);
    }

    [Fact]
    public async Task A_size_over_8_GiB_in_base256_parses_then_the_missing_data_is_a_clear_truncation()
    {
        const long size = 9L * 1024 * 1024 * 1024 + 1;
        var archive = new RawTar()
            .Block(HeaderBlock("huge.bin", size: size, magic: "ustar ", version: " \0"))
            .Bytes(new byte[4096])
            .ToArray();

        await using var reader = new TarReader(new TrickleStream(archive));
        var entry = await reader.GetNextEntryAsync();

        Assert.NotNull(entry);
        Assert.Equal(size, entry.Header.Size);
        Assert.Equal(size, entry.DataStream.Length);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => entry.DataStream.CopyToAsync(Stream.Null));
        Assert.Equal($"tar entry 'huge.bin' (header at byte 0): the archive is truncated inside the entry's data ({size - 4096} of {size} bytes missing)", e.Message);
    }

    [Fact]
    public async Task Skipping_a_huge_entry_with_missing_data_is_a_truncation_too()
    {
        var archive = new RawTar().Block(HeaderBlock("huge.bin", size: 1L << 34)).Bytes(new byte[100]).ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Contains("'huge.bin'", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task A_gnu_sparse_entry_is_refused_clearly()
    {
        var archive = new RawTar()
            .GnuLong('L', LongName)
            .Block(HeaderBlock("sparse", 'S', 512, magic: "ustar ", version: " \0")).Data(new byte[512])
            .End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.StartsWith($"GNU sparse file '{LongName}' is not supported", e.Message);
    }

    [Theory]
    [InlineData('M', "multi-volume")]
    [InlineData('D', "dump directories")]
    [InlineData('N', "old long-name")]
    [InlineData('Z', "unsupported typeflag 'Z'")]
    public async Task Other_gnu_and_unknown_typeflags_are_refused(char type, string expected)
    {
        var archive = new RawTar().Block(HeaderBlock("odd", type)).End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Contains("'odd'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_gnu_volume_label_is_skipped()
    {
        var archive = new RawTar().Block(HeaderBlock("backup 2024", 'V', magic: "ustar ", version: " \0")).Entry("f").End().ToArray();

        Assert.Equal("f", (await Tar.SingleAsync(archive)).Name);
    }

    [Fact]
    public async Task Names_that_are_not_utf8_keep_their_bytes()
    {
        var archive = new RawTar().Block(HeaderBlock("x", tweak: h => { h[0] = 0xE9; h[1] = (byte)'t'; h[2] = (byte)'e'; })).End().ToArray();

        var header = await Tar.SingleAsync(archive);

        Assert.Equal(new byte[] { 0xE9, (byte)'t', (byte)'e' }, header.RawName);
        Assert.Equal("\uFFFDte", header.Name);
        Assert.False(header.NameIsUtf8);
    }
}
