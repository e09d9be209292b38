using System.Formats.Tar;
using System.Text;
using ImageCache.Host.Layers;
using Xunit;
using static ImageCache.Host.Tests.Layers.RawTar;
using TarEntry = System.Formats.Tar.TarEntry;
using TarReader = ImageCache.Host.Layers.TarReader;

namespace ImageCache.Host.Tests.Layers;

/// <summary>Ordinary archives (written by System.Formats.Tar's TarWriter) and the header-field details of ustar.</summary>
public sealed class TarReaderFormatTests
{
    static byte[] Write(TarEntryFormat format, Action<TarWriter> write)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, format, leaveOpen: true))
            write(writer);
        return output.ToArray();
    }

    static TarEntry Make(TarEntryFormat format, TarEntryType type, string name) => format switch
    {
        TarEntryFormat.Pax => new PaxTarEntry(type, name),
        TarEntryFormat.Gnu => new GnuTarEntry(type, name),
        _ => new UstarTarEntry(type, name),
    };

    [Theory]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    public async Task Every_kind_a_rootfs_needs_reads_back(TarEntryFormat format)
    {
        var mtime = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var archive = Write(format, w =>
        {
            void Add(TarEntryType type, string name, Action<TarEntry>? set = null)
            {
                var e = Make(format, type, name);
                e.ModificationTime = mtime;
                e.Uid = 1000;
                e.Gid = 65534;
                e.Mode = (UnixFileMode)0x1ED; // 0755
                set?.Invoke(e);
                w.WriteEntry(e);
            }
            Add(TarEntryType.Directory, "etc/");
            Add(format == TarEntryFormat.Ustar ? TarEntryType.RegularFile : TarEntryType.RegularFile, "etc/passwd", e => e.DataStream = new MemoryStream("root:x:0:0\n"u8.ToArray()));
            Add(TarEntryType.HardLink, "etc/passwd-", e => e.LinkName = "etc/passwd");
            Add(TarEntryType.SymbolicLink, "lib64", e => e.LinkName = "/usr/lib64");
            Add(TarEntryType.CharacterDevice, "dev/null", e => { ((PosixTarEntry)e).DeviceMajor = 1; ((PosixTarEntry)e).DeviceMinor = 3; });
            Add(TarEntryType.BlockDevice, "dev/sda", e => { ((PosixTarEntry)e).DeviceMajor = 8; ((PosixTarEntry)e).DeviceMinor = 0; });
            Add(TarEntryType.Fifo, "run/initctl");
            Add(TarEntryType.Directory, "tmp/", e => e.Mode = (UnixFileMode)0x3FF | UnixFileMode.StickyBit);
            Add(TarEntryType.RegularFile, "usr/bin/su", e => e.Mode = (UnixFileMode)0x1ED | UnixFileMode.SetUser);
        });

        var entries = await Tar.ReadAllAsync(archive);

        Assert.Equal(
            [TarEntryKind.Directory, TarEntryKind.RegularFile, TarEntryKind.HardLink, TarEntryKind.SymbolicLink, TarEntryKind.CharacterDevice,
             TarEntryKind.BlockDevice, TarEntryKind.Fifo, TarEntryKind.Directory, TarEntryKind.RegularFile],
            entries.Select(e => e.Header.Kind));
        Assert.All(entries, e => Assert.Equal((1000L, 65534L, mtime), (e.Header.Uid, e.Header.Gid, e.Header.ModifiedTime)));
        Assert.Equal("root:x:0:0\n"u8.ToArray(), entries[1].Data);
        Assert.Equal(11, entries[1].Header.Size);
        Assert.Equal("etc/passwd", entries[2].Header.LinkName);
        Assert.Equal("/usr/lib64", entries[3].Header.LinkName);
        Assert.Equal((1L, 3L), (entries[4].Header.DevMajor, entries[4].Header.DevMinor));
        Assert.Equal((8L, 0L), (entries[5].Header.DevMajor, entries[5].Header.DevMinor));
        Assert.Equal(0x3FF | 0x200, entries[7].Header.Mode); // 1777
        Assert.Equal(0x1ED | 0x800, entries[8].Header.Mode); // 4755
        Assert.All(entries.Where(e => e.Header.Kind != TarEntryKind.RegularFile), e => Assert.Equal(0, e.Header.Size));
    }

    [Fact]
    public async Task Ustar_prefix_is_joined_to_the_name()
    {
        var archive = new RawTar().Block(HeaderBlock("file", prefix: "usr/share/very/deep")).End().ToArray();

        Assert.Equal("usr/share/very/deep/file", (await Tar.SingleAsync(archive)).Name);
    }

    [Fact]
    public async Task Gnu_headers_ignore_the_prefix_area()
    {
        var archive = new RawTar().Block(HeaderBlock("file", magic: "ustar ", version: " \0", prefix: "atime-junk")).End().ToArray();

        Assert.Equal("file", (await Tar.SingleAsync(archive)).Name);
    }

    [Fact]
    public async Task Octal_fields_padded_with_spaces_and_nuls_and_file_type_bits_in_mode()
    {
        var archive = new RawTar().Block(HeaderBlock("f", size: 2, tweak: h =>
        {
            Ascii(h, 100, 8, " 100755 ");      // S_IFREG | 0755, space padded
            Ascii(h, 108, 8, "\0\0  1750");   // leading NULs and spaces, full width at the end
            Ascii(h, 116, 8, "");              // all NUL: 0
            Ascii(h, 124, 12, "00000000002 ");
        })).Data("ok"u8.ToArray()).End().ToArray();

        var header = await Tar.SingleAsync(archive);

        Assert.Equal((0x1ED, 1000L, 0L, 2L), (header.Mode, header.Uid, header.Gid, header.Size));
    }

    [Fact]
    public async Task A_signed_checksum_is_accepted()
    {
        // Old Sun tar summed signed chars: with a byte >= 0x80 in the name the two sums differ.
        var block = HeaderBlock("x");
        block[0] = 0xC3; block[1] = 0xA9; // "é"
        for (int i = 148; i < 156; i++) block[i] = (byte)' ';
        int signedSum = block.Sum(b => (int)(sbyte)b);
        Ascii(block, 148, 8, Convert.ToString(signedSum, 8).PadLeft(6, '0') + "\0 ");

        Assert.Equal("é", (await Tar.SingleAsync(new RawTar().Block(block).End().ToArray())).Name);
    }

    [Fact]
    public async Task A_v7_entry_whose_name_ends_in_a_slash_is_a_directory()
    {
        var archive = new RawTar().Block(HeaderBlock("olddir/", '\0', magic: "", version: "")).Block(HeaderBlock("oldfile", '\0', magic: "", version: "")).End().ToArray();

        var entries = await Tar.ReadAllAsync(archive);

        Assert.Equal([TarEntryKind.Directory, TarEntryKind.RegularFile], entries.Select(e => e.Header.Kind));
    }

    [Theory]
    [InlineData(0)]    // plain end of stream after the last entry's padding
    [InlineData(512)]  // a lone zero block
    [InlineData(1024)] // the proper end marker
    [InlineData(10240)] // the marker plus record padding, which is never read
    public async Task The_archive_may_end_with_or_without_the_two_zero_blocks(int zeros)
    {
        var archive = new RawTar().Entry("a", data: new byte[700]).Entry("b").Bytes(new byte[zeros]).ToArray();

        Assert.Equal(["a", "b"], (await Tar.ReadAllAsync(archive)).Select(e => e.Header.Name));
    }

    [Fact]
    public async Task An_empty_archive_has_no_entries()
    {
        Assert.Empty(await Tar.ReadAllAsync(new byte[1024]));
        Assert.Empty(await Tar.ReadAllAsync([]));
    }

    [Fact]
    public async Task Unread_data_is_skipped_and_each_data_stream_returns_exactly_size_bytes()
    {
        var random = new Random(4);
        var sizes = new[] { 0, 1, 511, 512, 513, 4096, 100_000 };
        var payloads = sizes.Select(s => { var b = new byte[s]; random.NextBytes(b); return b; }).ToArray();
        var raw = new RawTar();
        for (int i = 0; i < sizes.Length; i++)
            raw.Entry($"f{i}", data: payloads[i]);
        var archive = raw.End().ToArray();

        // Read none, part, or all of each entry, alternately; the next entry is always found.
        await using var reader = new TarReader(new TrickleStream(archive, 333));
        for (int i = 0; i < sizes.Length; i++)
        {
            var entry = await reader.GetNextEntryAsync();
            Assert.NotNull(entry);
            Assert.Equal($"f{i}", entry.Header.Name);
            Assert.Equal(sizes[i], entry.Header.Size);
            if (i % 3 == 1)
            {
                var all = new MemoryStream();
                await entry.DataStream.CopyToAsync(all);
                Assert.Equal(payloads[i], all.ToArray());
                Assert.Equal(0, await entry.DataStream.ReadAsync(new byte[10])); // nothing past the end
            }
            else if (i % 3 == 2)
            {
                var part = new byte[Math.Min(10, sizes[i])];
                await entry.DataStream.ReadExactlyAsync(part);
                Assert.Equal(payloads[i][..part.Length], part);
            }
        }
        Assert.Null(await reader.GetNextEntryAsync());
        Assert.Null(await reader.GetNextEntryAsync());
    }

    [Fact]
    public async Task A_data_stream_cannot_be_read_after_the_reader_moves_on()
    {
        var archive = new RawTar().Entry("a", data: new byte[10]).Entry("b").End().ToArray();
        await using var reader = new TarReader(new TrickleStream(archive));

        var first = await reader.GetNextEntryAsync();
        await reader.GetNextEntryAsync();

        Assert.False(first!.DataStream.CanRead);
        Assert.False(first.DataStream.CanSeek);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => first.DataStream.ReadAsync(new byte[1]).AsTask());
    }

    [Fact]
    public async Task The_synchronous_read_path_of_the_data_stream_works_too()
    {
        var archive = new RawTar().Entry("a", data: Encoding.ASCII.GetBytes(new string('z', 1000))).End().ToArray();
        await using var reader = new TarReader(new TrickleStream(archive, 100));

        var entry = (await reader.GetNextEntryAsync())!;
        var copy = new MemoryStream();
        entry.DataStream.CopyTo(copy);

        Assert.Equal(1000, copy.Length);
    }

    [Fact]
    public void The_archive_is_disposed_unless_leave_open()
    {
        var kept = new MemoryStream(new byte[1024]);
        new TarReader(kept, leaveOpen: true).Dispose();
        Assert.True(kept.CanRead);

        var closed = new MemoryStream(new byte[1024]);
        new TarReader(closed).Dispose();
        Assert.False(closed.CanRead);
    }
}
