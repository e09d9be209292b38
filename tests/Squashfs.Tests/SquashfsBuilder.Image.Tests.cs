using System.Text.RegularExpressions;
using static ImageCache.Squashfs.Tests.Entries;

namespace ImageCache.Squashfs.Tests;

/// <summary>One image with every kind of entry, built once with the real tar2sqfs.</summary>
public sealed class FullImage : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>VFS_CAP_REVISION_2 with cap_net_raw (bit 13) permitted: 20 bytes including 0x00s.</summary>
    public static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static readonly byte[] BigData = Patterned(3 * 1024 * 1024 + 12345);
    public static readonly string LongPath = "long/" + new string('a', 100) + "/" + new string('b', 100);
    public static readonly string LongTarget = "/" + string.Join('/', Enumerable.Repeat("a-rather-long-segment", 14));

    public IReadOnlyList<FilesystemEntry> List { get; }
    public string Image { get; }
    public BuildResult Result { get; }

    public FullImage()
    {
        Image = _dir.File("full.sqfs");
        List =
        [
            Dir(""),
            Dir("bin"),
            File("bin/su", "su!"u8.ToArray(), mode: 0x9ED), // 04755
            File("bin/ping", "ping"u8.ToArray(), mode: 0x1ED, xattrs: new Dictionary<string, byte[]> { ["security.capability"] = Capability }),
            Dir("dev"),
            Device("dev/null", FilesystemEntryKind.CharacterDevice, 1, 3),
            Device("dev/sda", FilesystemEntryKind.BlockDevice, 8, 0, mode: 0x1B0),
            Fifo("dev/initctl", mode: 0x180),
            Dir("etc"),
            File("etc/hello", "hello, world\n"u8.ToArray()),
            HardLink("etc/hello-again", "etc/hello"),
            File("empty", []),
            File("big", BigData, mode: 0x124),
            Dir("home", xattrs: new Dictionary<string, byte[]> { ["user.comment"] = "homes\u00e9"u8.ToArray() }),
            File("home/user", "u"u8.ToArray(), uid: 1000, gid: 1000),
            File("home/nobody", "n"u8.ToArray(), uid: 65534, gid: 65534),
            File("home/max", "m"u8.ToArray(), uid: 4294967294, gid: 4294967294),
            Dir("home/shared", mode: 0x5FD, uid: 1000, gid: 65534), // 02775
            Symlink("lib64", "/usr/lib/x86_64-linux-gnu"),
            Symlink("hello", "etc/hello"),
            Symlink("longlink", LongTarget),
            Dir("long"),
            Dir("long/" + new string('a', 100)),
            File(LongPath, "deep"u8.ToArray()),
            Dir("tmp", mode: 0x3FF), // 01777
        ];
        Result = BuildAsync(Image, List).GetAwaiter().GetResult();
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class SquashfsImageTests(FullImage image) : IClassFixture<FullImage>
{
    private static readonly Regex ListingLine = new(
        @"^(?<mode>[-dlcbps][-rwxsStT]{9})\s+(?<uid>\d+)/(?<gid>\d+)\s+(?<size>\d+|\d+,\s*\d+)\s+\d{4}-\d\d-\d\d \d\d:\d\d squashfs-root(?<path>/.*?)?(?: -> (?<target>.*))?$",
        RegexOptions.CultureInvariant);

    [Fact]
    public void Superblock_is_valid_zstd_with_the_default_block_size()
    {
        var stat = SquashfsTools.RunOk("unsquashfs", "-s", image.Image);
        Assert.Contains("Found a valid SQUASHFS 4:0 superblock", stat, StringComparison.Ordinal);
        Assert.Contains("Compression zstd", stat, StringComparison.Ordinal);
        Assert.Contains("Block size 131072", stat, StringComparison.Ordinal);
        Assert.Equal(new FileInfo(image.Image).Length, image.Result.SizeBytes);
        Assert.Equal(image.List.Count, image.Result.EntriesWritten);
    }

    [Fact]
    public void Numeric_listing_has_every_entry_with_its_owner_mode_size_and_target()
    {
        var listing = SquashfsTools.RunOk("unsquashfs", "-UTC", "-lln", image.Image);
        var actual = new Dictionary<string, (string Mode, long Uid, long Gid, string Size, string? Target)>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = ListingLine.Match(line);
            Assert.True(match.Success, $"unparsed line: {line}\n{listing}");
            var path = match.Groups["path"].Success ? match.Groups["path"].Value[1..] : "";
            actual[path] = (match.Groups["mode"].Value, long.Parse(match.Groups["uid"].Value), long.Parse(match.Groups["gid"].Value),
                Regex.Replace(match.Groups["size"].Value, @"\s", ""), match.Groups["target"].Success ? match.Groups["target"].Value : null);
        }

        var linked = image.List.ToDictionary(e => e.Path);
        Assert.Equal(image.List.Select(e => e.Path).Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var entry in image.List)
        {
            var effective = entry.Kind == FilesystemEntryKind.HardLink ? linked[entry.LinkTarget!] : entry;
            var (mode, uid, gid, size, target) = actual[entry.Path];
            Assert.True(ModeString(effective) == mode, $"{entry.Path}: mode {mode}, expected {ModeString(effective)}");
            Assert.True((effective.Uid, effective.Gid) == (uid, gid), $"{entry.Path}: owner {uid}/{gid}");
            switch (effective.Kind)
            {
                case FilesystemEntryKind.RegularFile:
                    Assert.Equal(effective.Size.ToString(), size);
                    break;
                case FilesystemEntryKind.SymbolicLink:
                    Assert.Equal(effective.LinkTarget, target);
                    break;
                case FilesystemEntryKind.CharacterDevice or FilesystemEntryKind.BlockDevice:
                    Assert.Equal($"{effective.DeviceMajor},{effective.DeviceMinor}", size);
                    break;
            }
        }
    }

    [Fact]
    public void Extraction_as_root_gives_the_contents_owners_hardlink_and_devices()
    {
        using var dir = new TempDir();
        var root = Path.Combine(dir.Path, "root");
        SquashfsTools.RunOk("unsquashfs", "-n", "-d", root, image.Image);
        Assert.Equal(FullImage.BigData, System.IO.File.ReadAllBytes(Path.Combine(root, "big")));
        Assert.Equal("deep", System.IO.File.ReadAllText(Path.Combine(root, FullImage.LongPath)));
        Assert.Equal(0, new FileInfo(Path.Combine(root, "empty")).Length);
        Assert.Equal("hello, world\n", System.IO.File.ReadAllText(Path.Combine(root, "etc/hello-again")));

        var stat = SquashfsTools.RunOk("stat", "-c", "%n %i %h %u %g %a %F %t:%T %Y",
            Path.Combine(root, "etc/hello"), Path.Combine(root, "etc/hello-again"), Path.Combine(root, "home/max"),
            Path.Combine(root, "dev/null"), Path.Combine(root, "dev/initctl"), Path.Combine(root, "bin/su"), Path.Combine(root, "tmp"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(root.Length + 1)..].Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);
        var seconds = Time.ToUnixTimeSeconds();
        Assert.Equal(stat["etc/hello"].Split(' ')[0], stat["etc/hello-again"].Split(' ')[0]); // same inode
        Assert.StartsWith("2 ", stat["etc/hello"].Split(' ', 2)[1], StringComparison.Ordinal); // two links
        Assert.EndsWith($"4294967294 4294967294 644 regular file 0:0 {seconds}", stat["home/max"], StringComparison.Ordinal);
        Assert.EndsWith($"666 character special file 1:3 {seconds}", stat["dev/null"], StringComparison.Ordinal);
        Assert.EndsWith($"600 fifo 0:0 {seconds}", stat["dev/initctl"], StringComparison.Ordinal);
        Assert.EndsWith($"4755 regular file 0:0 {seconds}", stat["bin/su"], StringComparison.Ordinal);
        Assert.EndsWith($"1777 directory 0:0 {seconds}", stat["tmp"], StringComparison.Ordinal);
    }

    [Fact]
    public void Xattrs_are_stored_with_their_binary_values()
    {
        var stat = SquashfsTools.RunOk("unsquashfs", "-s", image.Image);
        Assert.DoesNotContain("Xattrs are not stored", stat, StringComparison.Ordinal);
        var ping = SquashfsTools.RunOk("rdsquashfs", "-x", "/bin/ping", image.Image);
        var home = SquashfsTools.RunOk("rdsquashfs", "-x", "/home", image.Image);
        var none = SquashfsTools.RunOk("rdsquashfs", "-x", "/bin/su", image.Image);
        Assert.Equal("security.capability=0x" + Convert.ToHexStringLower(FullImage.Capability), ping.Trim());
        Assert.Equal("user.comment=homes\u00e9", home.Trim());
        Assert.Equal("", none.Trim());
    }

    private static string ModeString(FilesystemEntry entry)
    {
        var type = entry.Kind switch
        {
            FilesystemEntryKind.Directory => 'd',
            FilesystemEntryKind.SymbolicLink => 'l',
            FilesystemEntryKind.CharacterDevice => 'c',
            FilesystemEntryKind.BlockDevice => 'b',
            FilesystemEntryKind.Fifo => 'p',
            _ => '-',
        };
        var m = entry.Mode;
        char Bit(int bit, char c) => (m & bit) != 0 ? c : '-';
        char Special(int exec, int special, char set, char unset) =>
            (m & special) != 0 ? ((m & exec) != 0 ? set : unset) : Bit(exec, 'x');
        return string.Concat(type, Bit(0x100, 'r'), Bit(0x80, 'w'), Special(0x40, 0x800, 's', 'S'),
            Bit(0x20, 'r'), Bit(0x10, 'w'), Special(0x8, 0x400, 's', 'S'),
            Bit(0x4, 'r'), Bit(0x2, 'w'), Special(0x1, 0x200, 't', 'T'));
    }
}
