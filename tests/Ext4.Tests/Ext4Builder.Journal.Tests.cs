using System.Text.RegularExpressions;
using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

/// <summary>The internal journal: present by default, sized like mke2fs, absent with journal=false, and usable.</summary>
public sealed class Ext4BuilderJournalTests
{
    private static List<FilesystemEntry> Small() =>
    [
        Dir(""),
        Dir("etc"),
        File("etc/hostname", "vm\n"u8.ToArray()),
    ];

    private static string Header(string image)
    {
        var result = E2fsTools.Run("dumpe2fs", "-h", image);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    private static string Field(string text, string pattern)
    {
        var match = Regex.Match(text, pattern, RegexOptions.Multiline);
        Assert.True(match.Success, $"/{pattern}/ not in:\n{text}");
        return match.Groups[1].Value.Trim();
    }

    /// <summary>mke2fs's own journal for a file system of the same block count: the peer our size must equal.</summary>
    private static string Mke2fsJournalBlocks(TempDir dir, long bytes)
    {
        var peer = dir.File("peer.ext4");
        using (var stream = System.IO.File.Create(peer)) stream.SetLength(bytes);
        var made = E2fsTools.Run("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-O", "^64bit,^flex_bg,^resize_inode,^metadata_csum", peer);
        Assert.True(made.ExitCode == 0, made.ToString());
        return Field(Header(peer), @"^Total journal blocks:\s+(\d+)");
    }

    [Theory]
    [InlineData(100L << 20)]        // 1024 blocks (4 MiB)
    [InlineData(300L << 20)]        // 4096 blocks (16 MiB)
    [InlineData(1100L << 20)]       // 8192 blocks (32 MiB), the journal crosses a block group's metadata
    public async Task Journal_is_inode_8_sized_as_mke2fs_sizes_it_and_checks_clean(long size)
    {
        using var dir = new TempDir();
        var image = dir.File("j.ext4");
        await BuildAsync(image, Small(), size: size);
        E2fsTools.AssertClean(image);
        var header = Header(image);
        Assert.Contains("has_journal", Field(header, @"^Filesystem features:(.*)$"));
        Assert.Equal("8", Field(header, @"^Journal inode:\s+(\d+)"));
        Assert.Equal("inode blocks", Field(header, @"^Journal backup:\s+(.*)$"));
        Assert.Equal("0", Field(header, @"^Journal start:\s+(\d+)"));
        Assert.Equal(Mke2fsJournalBlocks(dir, size), Field(header, @"^Total journal blocks:\s+(\d+)"));
        var stat = E2fsTools.DebugfsOk(image, "stat <8>");
        Assert.Contains("Type: regular", stat);
        Assert.Contains("Mode:  0600", stat);
        var du = long.Parse(E2fsTools.Run("du", "-B1", image).Stdout.Split('\t')[0]);
        Assert.True(du < 2L << 20, $"the journal's log space must stay a hole: {du} bytes allocated");
    }

    [Fact]
    public async Task Journal_false_omits_it_and_checks_clean()
    {
        using var dir = new TempDir();
        var image = dir.File("nj.ext4");
        await BuildAsync(image, Small(), options: new Dictionary<string, string> { ["journal"] = "false" });
        E2fsTools.AssertClean(image);
        var header = Header(image);
        Assert.DoesNotContain("has_journal", Field(header, @"^Filesystem features:(.*)$"));
        Assert.DoesNotMatch(@"(?m)^Journal inode:", header);
        Assert.Equal("vm\n", E2fsTools.DebugfsOk(image, "cat /etc/hostname"));
    }

    [Theory]
    [InlineData("journal", "maybe", "must be true or false")]
    [InlineData("compression", "zstd", "unknown builder option 'compression'")]
    public async Task Bad_options_are_refused_before_writing(string key, string value, string message)
    {
        using var dir = new TempDir();
        var image = dir.File("x.ext4");
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(image, Small(), options: new Dictionary<string, string> { [key] = value }));
        Assert.Contains(message, error.Message);
        Assert.False(System.IO.File.Exists(image));
    }

    [Fact]
    public async Task A_pinned_size_that_holds_the_data_but_not_the_journal_is_refused()
    {
        using var dir = new TempDir();
        var entries = Small();
        const long data = 12L << 20; // fits 16 MiB without a journal, not with its 4 MiB one
        entries.Add(File("data.bin", data, () => new GeneratedStream(data, p => 1)));
        var none = new Dictionary<string, string> { ["journal"] = "false" };
        await BuildAsync(dir.File("fits.ext4"), entries, size: 16L << 20, options: none);
        E2fsTools.AssertClean(dir.File("fits.ext4"));
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.ext4"), entries, size: 16L << 20));
        Assert.Matches(@"needs at least \d+ MiB", error.Message);
        Assert.False(System.IO.File.Exists(dir.File("x.ext4")));
    }

    /// <summary>
    /// The image takes new files: through the kernel (a loop mount, which replays and uses the journal) where the
    /// host allows mounting, and always through debugfs -w; e2fsck stays clean after both.
    /// </summary>
    [Fact]
    public async Task The_image_is_writable_by_the_kernel_or_debugfs_and_stays_clean()
    {
        using var dir = new TempDir();
        var image = dir.File("rw.ext4");
        var entries = Small();
        entries.Add(Dir("wide"));
        for (var i = 0; i < 3000; i++) entries.Add(File($"wide/f{i}", [(byte)i]));
        await BuildAsync(image, entries);

        var mountPoint = Directory.CreateDirectory(dir.File("mnt")).FullName;
        var mount = E2fsTools.Run("mount", "-o", "loop", image, mountPoint);
        if (mount.ExitCode == 0)
        {
            try
            {
                Assert.Equal("vm\n", System.IO.File.ReadAllText(Path.Combine(mountPoint, "etc/hostname")));
                Assert.Equal([(byte)(2999 & 0xFF)], System.IO.File.ReadAllBytes(Path.Combine(mountPoint, "wide/f2999")));
                Directory.CreateDirectory(Path.Combine(mountPoint, "newdir"));
                for (var i = 0; i < 500; i++) System.IO.File.WriteAllText(Path.Combine(mountPoint, $"wide/new{i}"), $"new {i}\n");
                System.IO.File.WriteAllBytes(Path.Combine(mountPoint, "newdir/big"), new byte[5 << 20]);
                System.IO.File.Delete(Path.Combine(mountPoint, "wide/f17"));
            }
            finally
            {
                var unmount = E2fsTools.Run("umount", mountPoint);
                Assert.True(unmount.ExitCode == 0, unmount.ToString());
            }

            E2fsTools.AssertClean(image);
            Assert.Equal("new 499\n", E2fsTools.DebugfsOk(image, "cat /wide/new499"));
        }

        var source = dir.File("later.txt");
        System.IO.File.WriteAllText(source, "written by debugfs\n");
        var commands = dir.File("commands");
        System.IO.File.WriteAllLines(commands, ["mkdir /later", $"write {source} /later/file", $"write {source} /wide/by-debugfs"]);
        var write = E2fsTools.Run("debugfs", "-w", "-f", commands, image);
        Assert.True(write.ExitCode == 0 && !write.Stderr.Contains("rror"), write.ToString());
        E2fsTools.AssertClean(image);
        Assert.Equal("written by debugfs\n", E2fsTools.DebugfsOk(image, "cat /wide/by-debugfs"));
    }
}
