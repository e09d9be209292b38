using System.Formats.Tar;
using System.Text;
using ImageCache.Builders.Squashfs;

namespace ImageCache.Squashfs.Tests;

/// <summary>The PAX writer alone: read back by System.Formats.Tar and by the system <c>tar</c>.</summary>
public sealed class PaxTarWriterTests
{
    private static readonly DateTimeOffset Time = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x20, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly string LongPath = "long/" + new string('p', 120) + "/" + new string('q', 90);
    private static readonly string LongTarget = "/" + string.Join('/', Enumerable.Repeat("target-segment", 20));

    private static async Task<byte[]> WriteAsync(params (TarHeader Header, byte[]? Data)[] members)
    {
        using var buffer = new MemoryStream();
        var writer = new PaxTarWriter(buffer);
        foreach (var (header, data) in members)
            await writer.WriteEntryAsync(header, data is null ? null : new MemoryStream(data), CancellationToken.None);
        await writer.FinishAsync(CancellationToken.None);
        return buffer.ToArray();
    }

    /// <summary>Every kind of member; <paramref name="bigIds"/> adds ids over 2^31, which System.Formats.Tar cannot read.</summary>
    private static (TarHeader, byte[]?)[] Sample(bool bigIds = true) =>
        [.. SampleMembers().Where(m => bigIds || m.Item1.Uid <= int.MaxValue)];

    private static (TarHeader, byte[]?)[] SampleMembers() =>
    [
        (new TarHeader("./", '5', 0x1ED, 0, 0, Time), null),
        (new TarHeader("hello.txt", '0', 0x1A4, 1000, 1000, Time, Size: 5), "hello"u8.ToArray()),
        (new TarHeader("empty", '0', 0x180, 0, 0, Time), null),
        (new TarHeader("big-ids", '0', 0x9ED, 4294967294, 4294967294, Time.AddTicks(1234567), Size: 3), "abc"u8.ToArray()),
        (new TarHeader("hard", '1', 0, 0, 0, Time, LinkName: "hello.txt"), null),
        (new TarHeader("sym", '2', 0x1FF, 0, 0, Time, LinkName: "hello.txt"), null),
        (new TarHeader("longsym", '2', 0x1FF, 0, 0, Time, LinkName: LongTarget), null),
        (new TarHeader("null", '3', 0x1B6, 0, 0, Time, DeviceMajor: 1, DeviceMinor: 3), null),
        (new TarHeader("sda", '4', 0x1B0, 0, 6, Time, DeviceMajor: 8, DeviceMinor: 0), null),
        (new TarHeader("fifo", '6', 0x1A4, 0, 0, Time), null),
        (new TarHeader("tmp", '5', 0x3FF, 0, 0, Time), null),
        (new TarHeader(LongPath, '0', 0x1A4, 65534, 65534, Time, Size: 2), "ok"u8.ToArray()),
        (new TarHeader("caps", '0', 0x1ED, 0, 0, Time, Size: 1,
            Xattrs: new Dictionary<string, byte[]> { ["security.capability"] = Capability, ["user.note"] = "h\u00e9llo"u8.ToArray() }), "x"u8.ToArray()),
    ];

    [Fact]
    public async Task SystemFormatsTar_reads_every_field_back()
    {
        var tar = await WriteAsync(Sample(bigIds: false));
        Assert.Equal(0, tar.Length % 512);
        Assert.True(tar.AsSpan(tar.Length - 1024).IndexOfAnyExcept((byte)0) < 0, "ends with two zero blocks");

        using var reader = new TarReader(new MemoryStream(tar));
        var read = new List<PosixTarEntry>();
        while (reader.GetNextEntry(copyData: true) is { } entry) read.Add(Assert.IsAssignableFrom<PosixTarEntry>(entry));
        Assert.Equal(Sample(bigIds: false).Select(m => m.Item1.Name), read.Select(e => e.Name));

        var byName = read.ToDictionary(e => e.Name);
        Assert.Equal(TarEntryType.Directory, byName["./"].EntryType);
        Assert.Equal("hello", new StreamReader(byName["hello.txt"].DataStream!).ReadToEnd());
        Assert.Equal(1000, byName["hello.txt"].Uid);
        Assert.Equal(Time, byName["hello.txt"].ModificationTime);
        Assert.Equal(0, byName["empty"].Length);
        Assert.Equal((UnixFileMode)0x180, byName["empty"].Mode);


        Assert.Equal(TarEntryType.HardLink, byName["hard"].EntryType);
        Assert.Equal("hello.txt", byName["hard"].LinkName);
        Assert.Equal(TarEntryType.SymbolicLink, byName["sym"].EntryType);
        Assert.Equal(LongTarget, byName["longsym"].LinkName);
        Assert.Equal((TarEntryType.CharacterDevice, 1, 3), (byName["null"].EntryType, byName["null"].DeviceMajor, byName["null"].DeviceMinor));
        Assert.Equal((TarEntryType.BlockDevice, 8, 0), (byName["sda"].EntryType, byName["sda"].DeviceMajor, byName["sda"].DeviceMinor));
        Assert.Equal(TarEntryType.Fifo, byName["fifo"].EntryType);
        Assert.Equal((UnixFileMode)0x3FF, byName["tmp"].Mode); // 01777
        Assert.Equal(65534, byName[LongPath].Uid);
        Assert.Equal("ok", new StreamReader(byName[LongPath].DataStream!).ReadToEnd());
        Assert.Equal("h\u00e9llo", Assert.IsType<PaxTarEntry>(byName["caps"]).ExtendedAttributes["SCHILY.xattr.user.note"]);
    }

    [Fact]
    public async Task Binary_xattr_value_is_written_as_raw_bytes_with_a_byte_counted_length()
    {
        var tar = await WriteAsync(Sample());
        var key = "SCHILY.xattr.security.capability="u8.ToArray();
        var at = tar.AsSpan().IndexOf(key);
        Assert.True(at > 0);
        Assert.Equal(Capability, tar.AsSpan(at + key.Length, Capability.Length).ToArray());
        Assert.Equal((byte)'\n', tar[at + key.Length + Capability.Length]);
        // The record's length prefix counts the whole record in bytes.
        var start = at - 1;
        while (tar[start - 1] != (byte)'\n' && tar[start - 1] != 0) start--;
        var prefix = Encoding.ASCII.GetString(tar, start, at - 1 - start);
        Assert.Equal(at + key.Length + Capability.Length + 1 - start, int.Parse(prefix));
    }

    [Fact]
    public async Task Large_ids_and_fractional_mtime_go_to_pax_records()
    {
        var tar = Encoding.Latin1.GetString(await WriteAsync(Sample()));
        Assert.Contains("18 uid=4294967294\n", tar, StringComparison.Ordinal);
        Assert.Contains("18 gid=4294967294\n", tar, StringComparison.Ordinal);
        Assert.Contains("28 mtime=1704164645.1234567\n", tar, StringComparison.Ordinal);
        Assert.DoesNotContain("uid=1000", tar, StringComparison.Ordinal); // small ids stay in the ustar header
    }

    [Theory]
    [InlineData(1)]
    [InlineData(80)]
    [InlineData(83)]
    [InlineData(84)]
    [InlineData(85)]
    [InlineData(986)]
    [InlineData(987)]
    public void Pax_record_lengths_are_exact_at_digit_boundaries(int valueLength)
    {
        var value = Enumerable.Range(0, valueLength).Select(i => (byte)(i % 256)).ToArray();
        var data = PaxTarWriter.PaxData([("SCHILY.xattr.user.k", value)]);
        var space = Array.IndexOf(data, (byte)' ');
        Assert.Equal(data.Length, int.Parse(Encoding.ASCII.GetString(data, 0, space)));
        Assert.Equal((byte)'\n', data[^1]);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(15L, "0.0000015")]
    [InlineData(5_000_000L, "0.5")]
    [InlineData(-5_000_000L, "-0.5")]
    [InlineData(-15_000_000L, "-1.5")]
    public void Mtime_is_decimal_seconds_with_the_fraction(long ticks, string expected) =>
        Assert.Equal(expected, PaxTarWriter.FormatTime(DateTimeOffset.UnixEpoch.AddTicks(ticks)));

    [Fact]
    public async Task System_tar_lists_the_archive_with_xattrs()
    {
        using var dir = new TempDir();
        var path = dir.File("sample.tar");
        await File.WriteAllBytesAsync(path, await WriteAsync(Sample()));
        var listing = SquashfsTools.RunOk("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-tvvf", path);
        var lines = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("drwxr-xr-x  0/0", StringComparison.Ordinal) && l.EndsWith(" ./", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("-rwsr-xr-x  4294967294/4294967294", StringComparison.Ordinal) && l.EndsWith(" big-ids", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith('h') && l.EndsWith("hard link to hello.txt", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("crw-rw-rw-", StringComparison.Ordinal) && l.Contains(" 1,3 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("prw-r--r--", StringComparison.Ordinal) && l.EndsWith(" fifo", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("drwxrwxrwt", StringComparison.Ordinal) && l.EndsWith(" tmp", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith(" " + LongPath, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("longsym -> " + LongTarget, StringComparison.Ordinal));
        Assert.True(lines.Any(l => l.Trim() == "x: 20 security.capability"), listing);
        Assert.Contains(lines, l => l.Trim() == "x: 6 user.note");

        // Extracting the long-named member yields its data: the PAX path overrides the truncated ustar name.
        var content = SquashfsTools.RunOk("tar", "-xOf", path, LongPath);
        Assert.Equal("ok", content);
    }

    [Fact]
    public async Task Data_of_the_wrong_length_and_NUL_names_are_refused()
    {
        using var buffer = new MemoryStream();
        var writer = new PaxTarWriter(buffer);
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await writer.WriteEntryAsync(new TarHeader("short", '0', 0x1A4, 0, 0, Time, Size: 10), new MemoryStream(new byte[3]), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await writer.WriteEntryAsync(new TarHeader("long", '0', 0x1A4, 0, 0, Time, Size: 1), new MemoryStream(new byte[3]), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await writer.WriteEntryAsync(new TarHeader("a\0b", '0', 0x1A4, 0, 0, Time), null, CancellationToken.None));
    }
}
