using ImageCache.Host;

namespace ImageCache.Builders.Tests;

/// <summary>
/// Every builder, through the host's pull, against what <c>umoci unpack</c> makes of the same generated OCI layout:
/// the output passes its checker, and the tree read back equals umoci's (path, type, mode, owner, size, content
/// hash, link target, device numbers, xattrs, mtime, hard-link groups).
/// </summary>
public sealed class CorpusTests : IDisposable
{
    private readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string> Builders => new(Harness.Builders);

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task Kitchen_sink_image_reads_back_as_umoci_unpacks_it(string builder)
    {
        var layout = _harness.Layout("sink", Corpus.KitchenSink());
        var image = await _harness.PullAsync(layout, builder);
        Tools.AssertChecksClean(image);
        var actual = _harness.ReadBack(image);
        FsTree.AssertEqual(_harness.Expected(layout), actual, $"{builder} vs umoci unpack");

        // Spot checks that the comparison covers what it claims (not just two equal empty trees).
        Assert.Equal("l", actual["lib64"].Kind.ToString());
        Assert.Equal("/lib/x86_64-linux-gnu", actual["lib64"].Link);
        Assert.Equal(0b001_111_111_111, actual["tmp"].Mode);
        Assert.Equal(0b100_111_101_101, actual["bin/su"].Mode);
        Assert.Equal(4294967294, actual["home/max-id"].Uid);
        Assert.Contains("security.capability=" + Convert.ToHexStringLower(Corpus.Capability), actual["usr/bin/ping"].Xattrs, StringComparison.Ordinal);
        Assert.Equal("1:3", actual["dev/null"].Rdev);
        Assert.Equal('p', actual["run/initctl"].Kind);
        Assert.Equal("data/hard-a", actual["data/hard-c"].HardLinkGroup);
        Assert.False(actual.Contains("etc/old"));
        Assert.Equal(["opq-after/new2"], actual.Nodes.Keys.Where(k => k.StartsWith("opq-after/", StringComparison.Ordinal)));
        Assert.Equal(["opq-before/new"], actual.Nodes.Keys.Where(k => k.StartsWith("opq-before/", StringComparison.Ordinal)));
        Assert.True(actual.Contains("etc/systemd/system/" + Corpus.SystemdName));
        Assert.True(actual.Contains("data/" + Corpus.LongName255));
        Assert.Equal(Corpus.LongTarget, actual["data/long"].Link);
        foreach (var runtime in new[] { "proc", "sys", "dev", "dev/pts" }) Assert.Equal('d', actual[runtime].Kind);
    }

    [Fact]
    public async Task The_three_builders_agree_with_each_other()
    {
        var layout = _harness.Layout("sink", Corpus.KitchenSink());
        var trees = new Dictionary<string, FsTree>();
        foreach (var builder in Harness.Builders) trees[builder] = _harness.ReadBack(await _harness.PullAsync(layout, builder));
        FsTree.AssertEqual(trees["ext4"], trees["mke2fs"], "ext4 vs mke2fs");
        FsTree.AssertEqual(trees["ext4"], trees["squashfs"], "ext4 vs squashfs");
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task A_path_100_levels_deep_reads_back_as_umoci_unpacks_it(string builder)
    {
        var layout = _harness.Layout("deep", Corpus.DeepPath());
        var image = await _harness.PullAsync(layout, builder);
        Tools.AssertChecksClean(image);
        var actual = _harness.ReadBack(image);
        FsTree.AssertEqual(_harness.Expected(layout), actual, $"{builder} vs umoci unpack");
        Assert.Contains(actual.Nodes.Keys, k => k.EndsWith("/d99/bottom", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task Setuid_and_setgid_are_stripped_by_default_and_sticky_kept(string builder)
    {
        var layout = _harness.Layout("sink", Corpus.KitchenSink());
        var actual = _harness.ReadBack(await _harness.PullAsync(layout, builder, allowSetuid: false));
        Assert.Equal(0b111_101_101, actual["bin/su"].Mode);
        Assert.Equal(0b111_101_101, actual["bin/sg"].Mode);
        Assert.Equal(0b001_111_111_111, actual["tmp"].Mode);
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task A_name_longer_than_255_bytes_is_refused_and_nothing_is_published(string builder)
    {
        var layout = _harness.Layout("long-name", new LayerTar().Dir("./").File(new string('x', 256), "too long\n").Finish());
        var error = await Assert.ThrowsAsync<ImageCacheException>(() => _harness.PullAsync(layout, builder));
        Assert.Contains("256 bytes long (limit 255)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_harness.Root, "state-" + builder), "*", SearchOption.AllDirectories),
            f => f.Contains("/images/rootfs/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ext4")]
    [InlineData("mke2fs")]
    [InlineData("squashfs")]
    public async Task Two_builds_of_the_same_image_are_byte_identical(string builder)
    {
        var layout = _harness.Layout("sink", Corpus.KitchenSink());
        var first = await _harness.PullAsync(layout, builder, stateName: "-1");
        var second = await _harness.PullAsync(layout, builder, stateName: "-2");
        Assert.Equal(Path.GetFileName(first), Path.GetFileName(second));
        Assert.True(File.ReadAllBytes(first).AsSpan().SequenceEqual(File.ReadAllBytes(second)), $"{builder}: {first} and {second} differ");
    }
}
