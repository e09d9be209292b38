using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

public sealed class Ext4BuilderSizingAndRefusalTests
{
    private static List<FilesystemEntry> Small() =>
    [
        Dir(""),
        Dir("etc"),
        File("etc/hostname", "vm\n"u8.ToArray()),
        Symlink("etc/localtime", "/usr/share/zoneinfo/UTC"),
    ];

    [Fact]
    public async Task Two_builds_are_byte_identical()
    {
        using var dir = new TempDir();
        var entries = Small();
        entries.Add(File("data.bin", Patterned(200_000, b => b == 3)));
        await BuildAsync(dir.File("a.ext4"), entries);
        await BuildAsync(dir.File("b.ext4"), entries);
        Assert.True(System.IO.File.ReadAllBytes(dir.File("a.ext4")).AsSpan().SequenceEqual(System.IO.File.ReadAllBytes(dir.File("b.ext4"))));
    }

    [Fact]
    public async Task Content_key_sets_the_uuid()
    {
        using var dir = new TempDir();
        await BuildAsync(dir.File("a.ext4"), Small(), key: "sha256:aaaa");
        await BuildAsync(dir.File("b.ext4"), Small(), key: "sha256:bbbb");
        string Uuid(string image) => E2fsTools.Run("dumpe2fs", "-h", image).Stdout.Split('\n').Single(l => l.StartsWith("Filesystem UUID:"));
        Assert.NotEqual(Uuid(dir.File("a.ext4")), Uuid(dir.File("b.ext4")));
        Assert.Equal(Uuid(dir.File("a.ext4")), Uuid(dir.File("a.ext4")));
    }

    [Theory]
    [InlineData(20L << 20, 5120)]
    [InlineData(129L << 20, 32768)]             // a last group too small for its metadata: dropped from the file system
    [InlineData((1L << 30) + 12345, 262144)]    // 8 groups (backups in 0, 1, 3, 5, 7) and a size that is not whole blocks
    public async Task Pinned_size_is_the_file_length_and_checks_clean(long size, long blocks)
    {
        using var dir = new TempDir();
        var image = dir.File("pinned.ext4");
        var result = await BuildAsync(image, Small(), size: size);
        Assert.Equal(size, result.SizeBytes);
        Assert.Equal(size, new FileInfo(image).Length);
        E2fsTools.AssertClean(image);
        Assert.Equal("vm\n", E2fsTools.DebugfsOk(image, "cat /etc/hostname"));
        var header = E2fsTools.Run("dumpe2fs", "-h", image).Stdout;
        Assert.Contains($"Block count:              {blocks}\n", header);
    }

    [Fact]
    public async Task Pinned_size_too_small_is_refused_before_writing_with_the_size_needed()
    {
        using var dir = new TempDir();
        var image = dir.File("small.ext4");
        var entries = Small();
        entries.Add(File("data.bin", 10L << 20, () => new GeneratedStream(10L << 20, p => 1)));
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(image, entries, size: 4L << 20));
        Assert.Matches(@"needs at least \d+ MiB", error.Message);
        Assert.False(System.IO.File.Exists(image));
    }

    [Fact]
    public async Task A_file_larger_than_a_block_group_spans_groups_and_checks_clean()
    {
        using var dir = new TempDir();
        var image = dir.File("large.ext4");
        const long size = 150L << 20; // > 128 MiB: crosses a group's bitmaps and inode table, backups in group 1
        static byte At(long p) => (byte)(1 + (p / 4096 + p) % 199);
        var entries = Small();
        entries.Add(File("large.bin", size, () => new GeneratedStream(size, At)));
        await BuildAsync(image, entries);
        E2fsTools.AssertClean(image);
        var output = dir.File("large.out");
        E2fsTools.DebugfsOk(image, $"dump /large.bin {output}");
        using var read = System.IO.File.OpenRead(output);
        Assert.Equal(size, read.Length);
        var buffer = new byte[1 << 20];
        long position = 0;
        int n;
        while ((n = read.Read(buffer)) > 0)
        {
            for (var i = 0; i < n; i++)
                if (buffer[i] != At(position + i)) Assert.Fail($"byte {position + i} differs");
            position += n;
        }
    }

    [Theory]
    [InlineData("etc/missing/file", "parent directory")]
    [InlineData("etc/hostname", "appears twice")]
    public async Task Bad_entries_are_refused(string path, string message)
    {
        using var dir = new TempDir();
        var entries = Small();
        entries.Add(File(path, [1]));
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.ext4"), entries));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task A_name_over_255_bytes_is_refused()
    {
        using var dir = new TempDir();
        var entries = Small();
        entries.Add(File(new string('x', 256), [1]));
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.ext4"), entries));
        Assert.Contains("1 to 255 bytes", error.Message);
    }

    [Fact]
    public async Task An_image_without_a_root_entry_gets_a_default_root_and_checks_clean()
    {
        using var dir = new TempDir();
        var image = dir.File("noroot.ext4");
        await BuildAsync(image, Small().Skip(1).ToList());
        E2fsTools.AssertClean(image);
    }

    [Fact]
    public async Task An_image_with_its_own_lost_and_found_keeps_one()
    {
        using var dir = new TempDir();
        var image = dir.File("lf.ext4");
        var entries = Small();
        entries.Add(Dir("lost+found", 0x1C0));
        await BuildAsync(image, entries);
        E2fsTools.AssertClean(image);
    }
}
