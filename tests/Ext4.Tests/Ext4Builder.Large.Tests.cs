using System.Text;
using System.Text.RegularExpressions;
using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

/// <summary>Large shapes: htree directories, 65,000+ subdirectories (dir_nlink), deep extent trees, a 200 MiB file.</summary>
public sealed class Ext4BuilderLargeTests
{
    [Fact]
    public async Task A_directory_of_100000_entries_is_an_htree_that_checks_clean_and_finds_every_name()
    {
        using var dir = new TempDir();
        var image = dir.File("wide.ext4");
        var entries = new List<FilesystemEntry> { Dir(""), Dir("big") };
        for (var i = 0; i < 100_000; i++) entries.Add(File($"big/f{i}", i % 1000 == 0 ? Encoding.ASCII.GetBytes($"{i}\n") : []));
        // Names with bytes ≥ 0x80: the hash reads them as signed chars (signed_directory_hash); e2fsck recomputes every hash.
        entries.Add(File("big/ünïcødé-ñame", "u\n"u8.ToArray()));
        entries.Add(File("big/日本語のファイル名", "j\n"u8.ToArray()));
        await BuildAsync(image, entries);
        E2fsTools.AssertClean(image);

        var stat = E2fsTools.DebugfsOk(image, "stat /big");
        Assert.Matches(@"Flags: 0x0*81000\b", stat); // EXTENTS | INDEX
        var htree = E2fsTools.DebugfsOk(image, "htree /big");
        Assert.Contains("Root node dump:", htree);
        Assert.Matches(@"Hash Version:\s+1\b", htree);
        Assert.Matches(@"Indirect levels:\s+0\b", htree);
        Assert.Equal("99999\n".Length.ToString(), Regex.Match(E2fsTools.DebugfsOk(image, "stat /big/f99000"), @"Size:\s+(\d+)").Groups[1].Value);
        Assert.Equal("99000\n", E2fsTools.DebugfsOk(image, "cat /big/f99000"));
        E2fsTools.DebugfsOk(image, "stat /big/f99999");
        Assert.Equal("u\n", E2fsTools.DebugfsOk(image, "cat \"/big/ünïcødé-ñame\""));
        var listing = E2fsTools.DebugfsOk(image, "ls -l /big");
        Assert.Equal(100_000, Regex.Matches(listing, @"\sf\d+\s*$", RegexOptions.Multiline).Count);
    }

    [Fact]
    public async Task A_directory_needing_more_leaves_than_the_root_holds_gets_an_indirect_level()
    {
        using var dir = new TempDir();
        var image = dir.File("deepdir.ext4");
        var entries = new List<FilesystemEntry> { Dir(""), Dir("d") };
        var pad = new string('x', 200);
        for (var i = 0; i < 20_000; i++) entries.Add(File($"d/{pad}-{i}", [])); // ~19 names per leaf: ~1050 leaves > 508
        await BuildAsync(image, entries);
        E2fsTools.AssertClean(image);
        var htree = E2fsTools.DebugfsOk(image, "htree /d");
        Assert.Matches(@"Indirect levels:\s+1\b", htree);
        E2fsTools.DebugfsOk(image, $"stat \"/d/{pad}-19999\"");
    }

    [Fact]
    public async Task More_than_65000_subdirectories_use_dir_nlink_and_check_clean()
    {
        using var dir = new TempDir();
        var image = dir.File("nlink.ext4");
        const int count = 65_010;
        var entries = new List<FilesystemEntry> { Dir(""), Dir("many") };
        for (var i = 0; i < count; i++) entries.Add(Dir($"many/d{i}"));
        await BuildAsync(image, entries);
        E2fsTools.AssertClean(image);
        Assert.Contains("dir_nlink", E2fsTools.Run("dumpe2fs", "-h", image).Stdout);
        Assert.Equal("1", Regex.Match(E2fsTools.DebugfsOk(image, "stat /many"), @"Links:\s+(\d+)").Groups[1].Value);
        Assert.Equal("2", Regex.Match(E2fsTools.DebugfsOk(image, "stat /many/d65009"), @"Links:\s+(\d+)").Groups[1].Value);
    }

    [Fact]
    public async Task A_file_of_1400_fragments_gets_a_depth_two_extent_tree_and_reads_back()
    {
        using var dir = new TempDir();
        var image = dir.File("frag.ext4");
        const int blocks = 2 * 1400; // every other block a hole: 1400 extents > 4 × 340
        var data = Patterned(blocks * 4096, block => block % 2 == 1);
        await BuildAsync(image, [Dir(""), File("holes.bin", data)]);
        E2fsTools.AssertClean(image);
        var extents = E2fsTools.DebugfsOk(image, "ex /holes.bin");
        Assert.Matches(@"(?m)^\s*0/\s*2\s+1/\s*1\s", extents); // the root at level 0 of a depth-2 tree
        Assert.Matches(@"(?m)^\s*2/\s*2\s", extents);          // leaves at level 2
        var output = dir.File("holes.out");
        E2fsTools.DebugfsOk(image, $"dump /holes.bin {output}");
        Assert.True(data.AsSpan().SequenceEqual(System.IO.File.ReadAllBytes(output)));
        var stat = E2fsTools.DebugfsOk(image, "stat /holes.bin");
        var sectors = long.Parse(Regex.Match(stat, @"Blockcount:\s+(\d+)").Groups[1].Value);
        Assert.Equal((1400 + 5 + 1) * 8, sectors); // data + 5 leaves + 1 index block
    }

    [Fact]
    public async Task A_200_MiB_file_and_an_empty_file_read_back_and_the_output_stays_sparse()
    {
        using var dir = new TempDir();
        var image = dir.File("big.ext4");
        const long size = 200L << 20;
        // The second half is zeros: those blocks must become holes in the file and in the image.
        static byte At(long p) => p >= size / 2 ? (byte)0 : (byte)(1 + (p / 4096 + p) % 199);
        await BuildAsync(image, [Dir(""), File("big.bin", size, () => new GeneratedStream(size, At)), File("empty", [])]);
        E2fsTools.AssertClean(image);

        var output = dir.File("big.out");
        E2fsTools.DebugfsOk(image, $"dump /big.bin {output}");
        using (var read = System.IO.File.OpenRead(output))
        {
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

        var stat = E2fsTools.DebugfsOk(image, "stat /big.bin");
        Assert.Equal(size.ToString(), Regex.Match(stat, @"Size:\s+(\d+)").Groups[1].Value);
        Assert.Equal((size / 2 / 512).ToString(), Regex.Match(stat, @"Blockcount:\s+(\d+)").Groups[1].Value);
        var empty = E2fsTools.DebugfsOk(image, "stat /empty");
        Assert.Matches(@"Size:\s+0\b", empty);
        Assert.Matches(@"Blockcount:\s+0\b", empty);
        var allocated = long.Parse(E2fsTools.Run("du", "-B1", image).Stdout.Split('\t')[0]);
        Assert.InRange(allocated, size / 2, size / 2 + (4L << 20)); // the zero half, the journal log and free space are holes
        Assert.True(new FileInfo(image).Length > size + (64L << 20));
    }
}
