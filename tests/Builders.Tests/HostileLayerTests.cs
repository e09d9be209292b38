using System.Security.Cryptography;
using ImageCache.Host;
using ImageCache.Host.Operations;

namespace ImageCache.Builders.Tests;

/// <summary>Hostile layers, the guest init, the runtime directories and the extraction limits, through every builder.</summary>
public sealed class HostileLayerTests : IDisposable
{
    private readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string> Builders => new(Harness.Builders);

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task A_symlink_to_an_absolute_host_path_keeps_later_writes_inside_the_image(string builder)
    {
        var outside = Path.Combine(_harness.Root, "outside-" + Guid.NewGuid().ToString("N"));
        var layout = _harness.Layout("escape",
            new LayerTar().Dir("./").Dir("tmp/", 0b001_111_111_111).Symlink("etc", outside).Finish(),
            new LayerTar().File("etc/passwd", "root:x:0:0::/root:/bin/sh\n").Finish());
        var image = await _harness.PullAsync(layout, builder);
        Tools.AssertChecksClean(image);
        var tree = _harness.ReadBack(image);
        Assert.False(Path.Exists(outside), $"{outside} was created on the host");
        Assert.Equal(outside, tree["etc"].Link);
        Assert.Equal('f', tree[outside.TrimStart('/') + "/passwd"].Kind);
        // umoci stamps the directories it creates (and any it writes into) with the clock; the image's own times are what the builders keep.
        FsTree.AssertEqual(_harness.Expected(layout), tree, $"{builder} vs umoci unpack", compareDirectoryMtimes: false);
    }

    [Theory]
    [InlineData("ext4", "../../x")]
    [InlineData("mke2fs", "../../x")]
    [InlineData("squashfs", "../../x")]
    [InlineData("ext4", "/abs")]
    [InlineData("mke2fs", "/abs")]
    [InlineData("squashfs", "/abs")]
    [InlineData("ext4", "a\0b")]
    [InlineData("mke2fs", "a\0b")]
    [InlineData("squashfs", "a\0b")]
    public async Task Escaping_absolute_and_NUL_names_are_refused_and_nothing_is_written_outside(string builder, string name)
    {
        var layout = _harness.Layout("hostile", new LayerTar().Dir("./").File(name, "payload\n").Finish());
        var parent = Path.GetDirectoryName(_harness.Root)!;
        var parentBefore = Directory.EnumerateFileSystemEntries(parent).ToHashSet();
        var error = await Assert.ThrowsAsync<ImageCacheException>(() => _harness.PullAsync(layout, builder));
        Assert.True(error.Message.Contains(name switch { "../../x" => "a '..' component could escape the root", "/abs" => "absolute names are refused", _ => "NUL" }, StringComparison.Ordinal), error.Message);
        Assert.False(File.Exists("/abs"));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(parent), e => !parentBefore.Contains(e) && Path.GetFileName(e) == "x");
        var state = Path.Combine(_harness.Root, "state-" + builder);
        Assert.DoesNotContain(Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories), f => f.Contains("/images/rootfs/", StringComparison.Ordinal) || Path.GetFileName(f) is "x" or "abs");
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task The_guest_init_lands_through_a_merged_usr_symlink_with_its_hash_recorded(string builder)
    {
        var layout = _harness.Layout("merged-usr", new LayerTar().Dir("./").Dir("usr/").Dir("usr/sbin/").Symlink("sbin", "usr/sbin").Finish());
        var init = Path.Combine(_harness.Root, "init");
        await File.WriteAllTextAsync(init, "#!/bin/sh\nexec /bin/sh\n");
        var client = new ImageCacheClient(new ImageCacheOptions { StateDir = Path.Combine(_harness.Root, "state-init") });
        var record = await client.PullAsync(new PullRequest($"oci:{layout}:{OciImage.Tag}", "linux/amd64", builder, null, false, [Harness.PluginsDir], InitFile: init));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(init))), record.InitSha256);
        Tools.AssertChecksClean(record.OutputPath);
        var tree = _harness.ReadBack(record.OutputPath);
        Assert.Equal("usr/sbin", tree["sbin"].Link);
        var placed = tree["usr/sbin/imagecache-init"];
        Assert.Equal(('f', 0b111_101_101, 0L, 0L), (placed.Kind, placed.Mode, placed.Uid, placed.Gid));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(init))), placed.Sha256);
        foreach (var runtime in new[] { "proc", "sys", "dev", "dev/pts" }) Assert.Equal('d', tree[runtime].Kind);
    }

    [Fact]
    public async Task Init_path_without_init_is_refused()
    {
        var layout = _harness.Layout("plain", new LayerTar().Dir("./").Finish());
        var client = new ImageCacheClient(new ImageCacheOptions { StateDir = Path.Combine(_harness.Root, "state-init") });
        var error = await Assert.ThrowsAsync<ImageCacheException>(() =>
            client.PullAsync(new PullRequest($"oci:{layout}:{OciImage.Tag}", "linux/amd64", "ext4", null, false, [Harness.PluginsDir], InitPath: "/init")));
        Assert.Equal("--init-path needs --init FILE", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Extraction_limits_refuse_before_the_data_is_spooled(int which)
    {
        var layout = _harness.Layout("limits", new LayerTar().Dir("./").Dir("a/").Dir("a/b/").File("a/b/f", new string('z', 5000)).File("g", "1").Finish());
        var limits = which switch
        {
            0 => new ExtractionLimits(MaxExpandedBytes: 4096),
            1 => new ExtractionLimits(MaxEntries: 3),
            _ => new ExtractionLimits(MaxPathDepth: 2),
        };
        var error = await Assert.ThrowsAsync<ImageCacheException>(() => _harness.PullAsync(layout, "ext4", limits: limits));
        Assert.Contains(which switch { 0 => "expand to more than 4096 bytes", 1 => "more than 3 entries", _ => "3 levels deep" }, error.Message, StringComparison.Ordinal);
        // The 5000-byte file was never spooled (whatever the refusal, its data was not reached or not written).
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_harness.Root, "state-ext4"), "*", SearchOption.AllDirectories),
            f => new FileInfo(f).Length == 5000);
    }
}
