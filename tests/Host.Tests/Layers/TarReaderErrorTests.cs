using ImageCache.Host.Layers;
using Xunit;
using static ImageCache.Host.Tests.Layers.RawTar;

namespace ImageCache.Host.Tests.Layers;

/// <summary>Malformed archives: every problem is an InvalidDataException with one line naming the entry and the problem.</summary>
public sealed class TarReaderErrorTests
{
    [Fact]
    public async Task A_bad_checksum_is_an_error()
    {
        var block = HeaderBlock("etc/shadow");
        block[0] = (byte)'E'; // changed after the checksum was computed

        var e = await Tar.FailsAsync(new RawTar().Entry("ok").Block(block).End().ToArray());

        Assert.StartsWith("tar entry 'Etc/shadow' (header at byte 512): bad header checksum (stored ", e.Message);
    }

    [Fact]
    public async Task A_checksum_field_that_is_not_a_number_is_not_a_header_and_its_name_is_not_quoted()
    {
        var block = HeaderBlock("f\u0001noise");
        Ascii(block, 148, 8, "zz");

        var first = await Tar.FailsAsync(new RawTar().Block(block).End().ToArray());
        var later = await Tar.FailsAsync(new RawTar().Entry("ok").Block(block).End().ToArray());

        Assert.Equal("the first 512 bytes are not a tar header (its checksum field is not an octal number)", first.Message);
        Assert.Equal("the 512 bytes at byte 512 are not a tar header (its checksum field is not an octal number); "
            + "the entry before them may be cut short or state a wrong size", later.Message);
    }

    [Fact]
    public async Task A_text_file_or_a_first_block_with_a_wrong_checksum_is_not_a_tar()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("root:x:0:0:root:/root:/bin/bash\n", 40)));
        var block = HeaderBlock("etc/shadow");
        block[0] = (byte)'E';

        var notTar = await Tar.FailsAsync(text);
        var damagedFirst = await Tar.FailsAsync(new RawTar().Block(block).End().ToArray());

        Assert.Equal("the first 512 bytes are not a tar header (its checksum field is not an octal number)", notTar.Message);
        Assert.StartsWith("the first 512 bytes are not a tar header (bad header checksum (stored ", damagedFirst.Message);
    }

    [Theory]
    [InlineData(100, 8, "mode")]
    [InlineData(108, 8, "uid")]
    [InlineData(116, 8, "gid")]
    [InlineData(124, 12, "size")]
    [InlineData(136, 12, "mtime")]
    public async Task A_non_numeric_field_is_an_error(int at, int length, string field)
    {
        var archive = new RawTar().Block(HeaderBlock("bin/sh", tweak: h => Ascii(h, at, length, "12x4"))).End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Equal($"tar entry 'bin/sh' (header at byte 0): the {field} field is not a number ('12x4{string.Concat(Enumerable.Repeat("\\x00", length - 4))}')", e.Message);
    }

    [Fact]
    public async Task Device_numbers_are_checked_for_devices()
    {
        var archive = new RawTar().Block(HeaderBlock("dev/x", '3', tweak: h => Ascii(h, 329, 8, "9"))).End().ToArray();

        Assert.Contains("devmajor field is not a number", (await Tar.FailsAsync(archive)).Message);
    }

    [Fact]
    public async Task Truncated_data_is_an_error()
    {
        var full = new RawTar().Entry("a").Entry("data.bin", data: new byte[2000]).End().ToArray();
        var cut = full[..(512 + 512 + 1000)];

        var e = await Tar.FailsAsync(cut);

        Assert.Equal("tar entry 'data.bin' (header at byte 512): the archive is truncated inside the entry's data (1000 of 2000 bytes missing)", e.Message);
    }

    [Fact]
    public async Task Truncated_data_is_an_error_also_when_the_data_is_skipped()
    {
        var cut = new RawTar().Entry("data.bin", data: new byte[2000]).ToArray()[..1500];
        await using var reader = new TarReader(new TrickleStream(cut));

        Assert.NotNull(await reader.GetNextEntryAsync());
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => reader.GetNextEntryAsync().AsTask());

        Assert.Contains("'data.bin'", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task Truncated_padding_is_an_error()
    {
        var cut = new RawTar().Entry("data.bin", data: new byte[100]).ToArray()[..700];

        Assert.Contains("padding", (await Tar.FailsAsync(cut)).Message);
    }

    [Fact]
    public async Task A_truncated_header_is_an_error()
    {
        var archive = new RawTar().Entry("a").Bytes(HeaderBlock("b")[..300]).ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.Equal("tar entry '(header)' (header at byte 512): the archive is truncated inside a header block (300 of 512 bytes)", e.Message);
    }

    [Fact]
    public async Task An_input_shorter_than_one_header_is_not_a_tar()
    {
        var e = await Tar.FailsAsync(HeaderBlock("b")[..300]);

        Assert.Equal("it is 300 bytes, shorter than one 512-byte tar header", e.Message);
    }

    [Fact]
    public async Task A_truncated_pax_header_is_an_error()
    {
        var archive = new RawTar().Pax('x', PaxRecord("path", new string('p', 600))).ToArray()[..700];

        Assert.Contains("truncated inside the PAX extended header", (await Tar.FailsAsync(archive)).Message);
    }

    [Fact]
    public async Task A_zero_block_followed_by_a_header_is_an_error()
    {
        var archive = new RawTar().Entry("a").Bytes(new byte[512]).Entry("b").End().ToArray();

        Assert.Contains("end-of-archive marker is two zero blocks", (await Tar.FailsAsync(archive)).Message);
    }

    [Fact]
    public async Task A_negative_size_is_an_error()
    {
        var archive = new RawTar().Block(HeaderBlock("neg", tweak: h => Base256(h, 124, 12, -5))).End().ToArray();

        Assert.Contains("size field is negative", (await Tar.FailsAsync(archive)).Message);
    }

    [Fact]
    public async Task Control_characters_in_names_do_not_break_the_one_line_message()
    {
        var block = HeaderBlock("evil\nname\u001b[31m");
        block[0] ^= 1;

        var e = await Tar.FailsAsync(new RawTar().Block(block).End().ToArray());

        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\u001b', e.Message);
    }

    [Fact]
    public async Task Hostile_pax_values_are_quoted_short_and_on_one_line()
    {
        var archive = new RawTar().Pax('x', PaxRecord("uid", "1\n" + new string('9', 100_000))).Entry("f").End().ToArray();

        var e = await Tar.FailsAsync(archive);

        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Length < 300, e.Message);
    }

    [Fact]
    public void Bad_arguments_are_argument_exceptions()
    {
        Assert.Throws<ArgumentNullException>(() => new TarReader(null!));
        Assert.Throws<ArgumentException>(() => new TarReader(new MemoryStream(), new TarReaderOptions { MaxNameLength = 0 }));
    }
}
