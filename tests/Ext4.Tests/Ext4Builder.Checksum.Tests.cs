using System.Text.RegularExpressions;
using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

/// <summary>An image with every checksummed structure: an htree directory, a deep extent tree, an xattr block.</summary>
public sealed class ChecksumImage : IDisposable
{
    private readonly TempDir _dir = new();
    public string Image { get; }

    public static List<FilesystemEntry> Tree()
    {
        var bigXattr = new Dictionary<string, byte[]> { ["user.big"] = new byte[1000] };
        var list = new List<FilesystemEntry>
        {
            Dir(""),
            Dir("wide"),
            File("fragmented.bin", Patterned(2 * 1400 * 4096, block => block % 2 == 1)), // depth 2
            new("xattr.txt", FilesystemEntryKind.RegularFile, 0x1A4, 0, 0, Time, bigXattr, null, 0, 0, 1,
                _ => ValueTask.FromResult<Stream>(new MemoryStream([42]))),
        };
        for (var i = 0; i < 2000; i++) list.Add(File($"wide/name-{i}", []));
        return list;
    }

    public ChecksumImage()
    {
        Image = _dir.File("csum.ext4");
        BuildAsync(Image, Tree()).GetAwaiter().GetResult();
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// metadata_csum: on by default and checked clean; e2fsck verifies it (a checksum broken on purpose in each kind of
/// structure is reported); metadata_csum=false leaves the feature off.
/// </summary>
public sealed class Ext4BuilderChecksumTests(ChecksumImage image) : IClassFixture<ChecksumImage>
{
    private static long Number(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"/{pattern}/ not in:\n{text}");
        var value = match.Groups[1].Value;
        return value.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToInt64(value[2..], 16) : long.Parse(value);
    }

    [Fact]
    public void The_image_has_metadata_csum_and_checks_clean()
    {
        E2fsTools.AssertClean(image.Image);
        var header = E2fsTools.Run("dumpe2fs", "-h", image.Image).Stdout;
        Assert.Contains("metadata_csum", header);
        Assert.Matches(@"Checksum type:\s+crc32c", header);
        Assert.Contains("Root node dump:", E2fsTools.DebugfsOk(image.Image, "htree /wide"));
    }

    /// <summary>Where to break a checksum: the byte offset in the image, found with debugfs.</summary>
    private long Locate(string what)
    {
        var img = image.Image;
        switch (what)
        {
            case "superblock":
                return 1024 + 0x3FC;
            case "group descriptor":
                return 4096 + 0x1E;
            case "inode":
            {
                var map = E2fsTools.DebugfsOk(img, "imap /xattr.txt");
                return Number(map, @"located at block (\d+)") * 4096 + Number(map, @"offset (0x[0-9a-f]+)") + 0x7C;
            }
            case "directory leaf":
                return Number(E2fsTools.DebugfsOk(img, "bmap /wide 3"), @"(\d+)") * 4096 + 4095;
            case "htree root":
                return Number(E2fsTools.DebugfsOk(img, "bmap /wide 0"), @"(\d+)") * 4096 + 4095;
            case "extent block":
            {
                var extents = E2fsTools.DebugfsOk(img, "ex /fragmented.bin");
                // A level-1 line names a leaf node: "1/ 2   1/ 5     0 - 679 12345   680".
                var leaf = Regex.Match(extents, @"(?m)^\s*1/\s*2\s+\d+/\s*\d+\s+\d+\s*-\s*\d+\s+(\d+)");
                Assert.True(leaf.Success, extents);
                return long.Parse(leaf.Groups[1].Value) * 4096 + 4095;
            }
            case "xattr block":
                return Number(E2fsTools.DebugfsOk(img, "stat /xattr.txt"), @"File ACL:\s+(\d+)") * 4096 + 0x10;
            default:
                throw new ArgumentException(what);
        }
    }

    [Theory]
    [InlineData("superblock")]
    [InlineData("group descriptor")]
    [InlineData("inode")]
    [InlineData("directory leaf")]
    [InlineData("htree root")]
    [InlineData("extent block")]
    [InlineData("xattr block")]
    public void A_broken_checksum_is_reported_by_e2fsck(string what)
    {
        using var dir = new TempDir();
        var copy = dir.File("broken.ext4");
        System.IO.File.Copy(image.Image, copy);
        var offset = Locate(what);
        using (var stream = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            var b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ 0x5A));
        }

        var result = E2fsTools.Fsck(copy);
        // Not clean by AssertClean's measure: a non-zero exit, or a question e2fsck -n answered no to.
        Assert.True(result.ExitCode != 0 || result.Stdout.Contains('?'), $"e2fsck did not notice a broken {what} checksum: {result}");
        Assert.Matches("(?i)checksum|csum", result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task Metadata_csum_false_leaves_it_off_and_checks_clean()
    {
        using var dir = new TempDir();
        var plain = dir.File("plain.ext4");
        await BuildAsync(plain, ChecksumImage.Tree(), options: new Dictionary<string, string> { ["metadata_csum"] = "false" });
        E2fsTools.AssertClean(plain);
        Assert.DoesNotContain("metadata_csum", E2fsTools.Run("dumpe2fs", "-h", plain).Stdout);
        Assert.Contains("Root node dump:", E2fsTools.DebugfsOk(plain, "htree /wide"));
    }
}
