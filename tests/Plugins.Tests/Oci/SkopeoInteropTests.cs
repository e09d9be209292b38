using System.Diagnostics;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Plugins.Tests.Oci;

/// <summary>Layouts and archives written by the real skopeo from layouts the tests made (skopeo must be installed: test.sh installs it).</summary>
public sealed class SkopeoInteropTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly OciBlobStore _store;
    readonly TestLayout _layout;

    public SkopeoInteropTests()
    {
        _store = new OciBlobStore(_temp.Sub("store"));
        _layout = new TestLayout(_temp.Sub("layout"));
    }

    public void Dispose() => _temp.Dispose();

    static Task Skopeo(params string[] arguments) => SkopeoTool.RunAsync(arguments);

    [Fact]
    public async Task A_layout_skopeo_copied_from_ours_is_fetched_with_the_same_digests()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest.Named("v1"));
        var other = _temp.Sub("skopeo-layout");

        await Skopeo("copy", $"oci:{_layout.Dir}:v1", $"oci:{other}:v2");
        var fetched = await Fetch.Oci($"{other}:v2", _store);

        Assert.Equal(image.LayerDigest, fetched.Layers[0].Digest);
        Assert.Equal(image.DiffId, fetched.Layers[0].DiffId);
        Assert.Equal(image.ConfigDigest, fetched.ConfigDigest);
        Assert.True(await _store.VerifyAsync(fetched.ManifestDigest, CancellationToken.None));
    }

    [Fact]
    public async Task A_multi_arch_layout_and_archive_written_by_skopeo_are_resolved_by_platform()
    {
        var amd = _layout.AddImage("amd64");
        var arm = _layout.AddImage("arm64");
        var index = _layout.AddIndex(amd.Manifest, arm.Manifest);
        _layout.WriteIndexJson(index.Named("v1"));
        var other = _temp.Sub("skopeo-layout");
        var archive = _temp.Sub("skopeo.tar");

        await Skopeo("copy", "--all", $"oci:{_layout.Dir}:v1", $"oci:{other}:v2");
        await Skopeo("copy", "--all", $"oci:{_layout.Dir}:v1", $"oci-archive:{archive}:v3");
        var fromLayout = await Fetch.Oci($"{other}:v2", _store, Fetch.Arm64);
        var fromArchive = await Fetch.Archive($"{archive}:v3", _store, Fetch.Amd64);

        Assert.Equal(arm.Manifest.Digest, fromLayout.ManifestDigest);
        Assert.Equal(index.Digest, fromLayout.IndexDigest);
        Assert.Equal(amd.LayerDigest, fromArchive.Layers[0].Digest);
    }

    [Fact]
    public async Task Skopeo_reads_what_our_store_received()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest.Named("v1"));
        var fetched = await Fetch.Oci($"{_layout.Dir}:v1", _store);
        var copy = new TestLayout(_temp.Sub("from-store"));
        // The store's blobs alone make a layout skopeo can copy once index.json names the manifest.
        foreach (var digest in new[] { fetched.ManifestDigest, fetched.ConfigDigest, fetched.Layers[0].Digest })
            File.Copy(_store.BlobPath(digest), copy.BlobPath(digest));
        copy.WriteIndexJson(image.Manifest.Named("x"));

        await Skopeo("copy", $"oci:{copy.Dir}:x", $"oci:{_temp.Sub("final")}:y");
    }
}
