using System.Text;
using System.Text.RegularExpressions;
using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

/// <summary>One image with every kind of entry, built once and read back with e2fsck and debugfs.</summary>
public sealed class RichImage : IDisposable
{
    private readonly TempDir _dir = new();
    public const string LongTarget = "/usr/lib/x86_64-linux-gnu/some/rather/deep/directory/structure/for/a/long/symlink/target/abc.so.1";
    public static readonly string LongName = new('n', 255);
    public static readonly byte[] Big = Patterned(3 * 1024 * 1024 + 100, block => block is >= 100 and < 356 || block == 700);
    public static readonly byte[] Fragmented = Patterned(40 * 4096, block => block % 2 == 1); // 20 extents: depth 1

    public string Image { get; }
    public IReadOnlyList<FilesystemEntry> List { get; }
    public BuildResult Result { get; }

    public RichImage()
    {
        Image = _dir.File("rich.ext4");
        var list = new List<FilesystemEntry>
        {
            Dir("", 0x1ED, time: Time.AddDays(1)),
            Dir("bin"),
            File("bin/su", "su binary\n"u8.ToArray(), mode: 0x9ED), // 04755
            HardLink("bin/su-again", "bin/su"),
            Dir("tmp", 0x3FF), // 01777
            Dir("home"),
            Dir("home/user", 0x1E8, 1000, 1000), // 0750
            File("home/user/hello.txt", "hello\n"u8.ToArray(), uid: 1000, gid: 1000),
            File("nobody", [1, 2, 3], uid: 65534, gid: 65534),
            File("high", [4], uid: 4294967294, gid: 4294967294),
            Symlink("lib64", "/lib/x86_64-linux-gnu"),
            Symlink("long", LongTarget),
            Dir("dev"),
            Device("dev/null", FilesystemEntryKind.CharacterDevice, 1, 3),
            Device("dev/sda", FilesystemEntryKind.BlockDevice, 8, 0, 0x1B0),
            Device("dev/wide", FilesystemEntryKind.CharacterDevice, 300, 70000),
            Fifo("dev/initctl", 0x180),
            File("empty", []),
            File("big.bin", Big),
            File("fragmented.bin", Fragmented),
            File("ünïcødé.txt", "unicode\n"u8.ToArray()),
            File(LongName, [7]),
            Dir("many"),
        };
        for (var i = 0; i < 500; i++) list.Add(File($"many/file-with-a-longish-name-{i:D4}", Encoding.ASCII.GetBytes($"file {i}\n")));
        List = list;
        Result = BuildAsync(Image, list).GetAwaiter().GetResult();
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class Ext4BuilderBuildAsyncTests(RichImage rich) : IClassFixture<RichImage>
{
    private string Stat(string path) => E2fsTools.DebugfsOk(rich.Image, $"stat \"{path}\"");

    private static string Field(string stat, string pattern)
    {
        var match = Regex.Match(stat, pattern);
        Assert.True(match.Success, $"/{pattern}/ not in:\n{stat}");
        return match.Groups[1].Value;
    }

    /// <summary>The permission bits as four octal digits (debugfs prints 0644, 04755 or 01777).</summary>
    private static string Mode(string stat) => Convert.ToString(Convert.ToInt32(Field(stat, @"Mode:\s+(\d+)"), 8), 8).PadLeft(4, '0');

    [Fact]
    public void E2fsck_reports_the_image_clean() => E2fsTools.AssertClean(rich.Image);

    [Fact]
    public void The_image_accepts_new_files_and_directories_and_stays_clean()
    {
        using var dir = new TempDir();
        var copy = dir.File("copy.ext4");
        System.IO.File.Copy(rich.Image, copy);
        var source = dir.File("new.txt");
        System.IO.File.WriteAllText(source, "written later\n");
        var commands = dir.File("commands");
        System.IO.File.WriteAllLines(commands,
            ["mkdir /newdir", $"write {source} /newdir/new.txt", "mkdir /many/sub", $"write {source} /tmp/another.txt"]);
        var write = E2fsTools.Run("debugfs", "-w", "-f", commands, copy);
        Assert.True(write.ExitCode == 0 && !write.Stderr.Contains("rror"), write.ToString());
        E2fsTools.AssertClean(copy);
        Assert.Equal("written later\n", E2fsTools.DebugfsOk(copy, "cat /newdir/new.txt"));
        Assert.Equal("written later\n", E2fsTools.DebugfsOk(copy, "cat /tmp/another.txt"));
    }

    [Fact]
    public void Superblock_has_exactly_the_chosen_features()
    {
        var result = E2fsTools.Run("dumpe2fs", "-h", rich.Image);
        Assert.True(result.ExitCode == 0, result.ToString());
        var features = Field(result.Stdout, @"Filesystem features:\s+(.*)").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order();
        Assert.Equal(["dir_index", "dir_nlink", "extent", "extra_isize", "filetype", "has_journal", "large_file", "metadata_csum", "sparse_super"], features);
        Assert.Equal("4096", Field(result.Stdout, @"Block size:\s+(\d+)"));
        Assert.Equal("256", Field(result.Stdout, @"Inode size:\s+(\d+)"));
    }

    [Theory]
    [InlineData("/bin/su", "4755", "0", "0")]
    [InlineData("/tmp", "1777", "0", "0")]
    [InlineData("/home/user", "0750", "1000", "1000")]
    [InlineData("/home/user/hello.txt", "0644", "1000", "1000")]
    [InlineData("/nobody", "0644", "65534", "65534")]
    [InlineData("/high", "0644", "4294967294", "4294967294")]
    [InlineData("/", "0755", "0", "0")]
    public void Modes_and_owners_are_kept(string path, string mode, string uid, string gid)
    {
        var stat = Stat(path);
        Assert.Equal(mode, Mode(stat));
        // debugfs prints ids as signed 32-bit numbers (4294967294 shows as -2).
        Assert.Equal(uid, ((uint)int.Parse(Field(stat, @"User:\s+(-?\d+)"))).ToString());
        Assert.Equal(gid, ((uint)int.Parse(Field(stat, @"Group:\s+(-?\d+)"))).ToString());
    }

    [Fact]
    public void Mtimes_keep_seconds_and_nanoseconds()
    {
        var stat = Stat("/home/user/hello.txt");
        var seconds = Convert.ToInt64(Field(stat, @"mtime: 0x([0-9a-f]+)"), 16);
        var extra = Convert.ToInt64(Field(stat, @"mtime: 0x[0-9a-f]+:([0-9a-f]+)"), 16);
        Assert.Equal(Time.ToUnixTimeSeconds(), seconds);
        Assert.Equal(123456700, extra >> 2);
        var root = Stat("/");
        Assert.Equal(Time.AddDays(1).ToUnixTimeSeconds(), Convert.ToInt64(Field(root, @"mtime: 0x([0-9a-f]+)"), 16));
    }

    [Theory]
    [InlineData("/bin/su", "su binary\n")]
    [InlineData("/bin/su-again", "su binary\n")]
    [InlineData("/home/user/hello.txt", "hello\n")]
    [InlineData("/ünïcødé.txt", "unicode\n")]
    [InlineData("/many/file-with-a-longish-name-0499", "file 499\n")]
    [InlineData("/empty", "")]
    public void File_contents_read_back(string path, string content) =>
        Assert.Equal(content, E2fsTools.DebugfsOk(rich.Image, $"cat \"{path}\""));

    [Fact]
    public void Hardlink_shares_the_inode_and_counts_two_links()
    {
        var first = Stat("/bin/su");
        var second = Stat("/bin/su-again");
        Assert.Equal("2", Field(first, @"Links:\s+(\d+)"));
        Assert.Equal(Field(first, @"Inode:\s+(\d+)"), Field(second, @"Inode:\s+(\d+)"));
    }

    [Fact]
    public void Short_symlink_is_fast_and_long_symlink_has_a_block()
    {
        var fast = Stat("/lib64");
        Assert.Contains("Type: symlink", fast);
        Assert.Equal("/lib/x86_64-linux-gnu", Field(fast, "Fast link dest: \"(.*)\""));
        var slow = Stat("/long");
        Assert.Contains("Type: symlink", slow);
        Assert.Equal(RichImage.LongTarget.Length.ToString(), Field(slow, @"Size:\s+(\d+)"));
        Assert.Equal(RichImage.LongTarget, E2fsTools.DebugfsOk(rich.Image, "cat /long"));
    }

    [Fact]
    public void Devices_and_fifos_have_their_type_and_numbers()
    {
        var nul = Stat("/dev/null");
        Assert.Contains("Type: character special", nul);
        Assert.Contains("Device major/minor number: 01:03", nul);
        var sda = Stat("/dev/sda");
        Assert.Contains("Type: block special", sda);
        Assert.Contains("Device major/minor number: 08:00", sda);
        Assert.Equal("0660", Mode(sda));
        var wide = Stat("/dev/wide");
        Assert.Contains("Device major/minor number: 300:70000", wide);
        var fifo = Stat("/dev/initctl");
        Assert.Contains("Type: FIFO", fifo);
        Assert.Equal("0600", Mode(fifo));
    }

    [Fact]
    public void Big_file_with_holes_reads_back_and_holes_take_no_blocks()
    {
        using var dir = new TempDir();
        var output = dir.File("big.out");
        E2fsTools.DebugfsOk(rich.Image, $"dump /big.bin {output}");
        Assert.Equal(RichImage.Big, System.IO.File.ReadAllBytes(output));
        var stat = Stat("/big.bin");
        var dataBlocks = (RichImage.Big.Length + 4095) / 4096 - 256 - 1;
        Assert.Equal((dataBlocks * 8).ToString(), Field(stat, @"Blockcount:\s+(\d+)"));
    }

    [Fact]
    public void Fragmented_file_uses_a_depth_one_extent_tree()
    {
        using var dir = new TempDir();
        var output = dir.File("fragmented.out");
        E2fsTools.DebugfsOk(rich.Image, $"dump /fragmented.bin {output}");
        Assert.Equal(RichImage.Fragmented, System.IO.File.ReadAllBytes(output));
        var extents = E2fsTools.DebugfsOk(rich.Image, "ex /fragmented.bin");
        Assert.Contains("Level Entries", extents);
        Assert.Matches(@"1/\s*1\s+1/\s*20", extents); // one leaf at level 1 holding the 20 extents
    }

    [Fact]
    public void Directory_of_500_entries_spans_several_blocks_and_lists_them_all()
    {
        var listing = E2fsTools.DebugfsOk(rich.Image, "ls -l /many");
        Assert.Equal(500, Regex.Matches(listing, @"file-with-a-longish-name-\d{4}").Count);
        var size = long.Parse(Field(Stat("/many"), @"Size:\s+(\d+)"));
        Assert.True(size >= 4 * 4096, $"directory size {size}");
    }

    [Fact]
    public void Root_lists_lost_and_found_and_the_255_byte_name()
    {
        var listing = E2fsTools.DebugfsOk(rich.Image, "ls -l /");
        Assert.Contains("lost+found", listing);
        Assert.Contains(RichImage.LongName, listing);
        var lostAndFound = Stat("/lost+found");
        Assert.Equal("11", Field(lostAndFound, @"Inode:\s+(\d+)"));
        Assert.Equal("0700", Mode(lostAndFound));
    }

    [Fact]
    public void Directory_link_counts_follow_subdirectories()
    {
        Assert.Equal("8", Field(Stat("/"), @"Links:\s+(\d+)")); // 2 + bin, tmp, home, dev, many, lost+found
        Assert.Equal("3", Field(Stat("/home"), @"Links:\s+(\d+)"));
        Assert.Equal("2", Field(Stat("/many"), @"Links:\s+(\d+)"));
    }

    [Fact]
    public void Automatic_size_leaves_at_least_64_MiB_free_and_output_is_sparse()
    {
        Assert.True(rich.Result.SizeBytes >= 64L << 20, $"{rich.Result.SizeBytes}");
        Assert.Equal(0, rich.Result.SizeBytes % (1 << 20));
        Assert.Equal(rich.List.Count, rich.Result.EntriesWritten);
        var du = E2fsTools.Run("du", "-B1", rich.Image);
        var allocated = long.Parse(du.Stdout.Split('\t')[0]);
        Assert.True(allocated < 16L << 20, $"allocated {allocated} of {rich.Result.SizeBytes}");
    }
}
