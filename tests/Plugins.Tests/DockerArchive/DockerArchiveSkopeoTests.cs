using System.Diagnostics;
using ImageCache.Host.Blobs;
using ImageCache.Plugins.Tests.Oci;
using Xunit;

namespace ImageCache.Plugins.Tests.DockerArchive;

/// <summary>docker-archive interop with the real skopeo (must be installed: test.sh installs it; a missing skopeo fails).</summary>
[Collection(DockerSave.Collection)]
public sealed class DockerArchiveSkopeoTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly OciBlobStore _store;

    public DockerArchiveSkopeoTests() => _store = new OciBlobStore(_temp.Sub("store"));

    public void Dispose() => _temp.Dispose();

    static Task Skopeo(params string[] arguments) => SkopeoTool.RunAsync(arguments);

    [Fact]
    public async Task Skopeo_reads_our_docker_save_fixture_and_both_fetches_agree_on_layers_and_config()
    {
        var save = new DockerSave();
        save.AddImage(["other:1"], [TestLayer.Plain(("x.txt", "x"))]);
        var image = save.AddImage(["busybox:latest"], [TestLayer.Plain(("etc/a.txt", "a")), TestLayer.Gzip(("etc/b.txt", "b"))]);
        var archive = _temp.Sub("save.tar");
        save.Write(archive);
        var layout = _temp.Sub("skopeo-layout");

        await Skopeo("copy", $"docker-archive:{archive}:busybox:latest", $"oci:{layout}:x");
        var ours = await DockerSave.Fetch($"{archive}:busybox:latest", _store);
        var viaSkopeo = await Fetch.Oci($"{layout}:x", new OciBlobStore(_temp.Sub("store2")));

        Assert.Equal(image.ConfigDigest, ours.ConfigDigest);
        Assert.Equal(image.Layers.Select(l => l.DiffId), viaSkopeo.Layers.Select(l => l.DiffId));
        Assert.Equal(ours.Layers.Select(l => l.DiffId), viaSkopeo.Layers.Select(l => l.DiffId));
        // Not the blob digests: skopeo recompresses layers on the way to an OCI layout; the uncompressed tars are the same.
    }

    [Fact]
    public async Task A_docker_archive_written_by_skopeo_from_an_oci_layout_is_fetched_with_the_same_diff_ids()
    {
        var layout = new TestLayout(_temp.Sub("layout"));
        var image = layout.AddImage();
        layout.WriteIndexJson(image.Manifest.Named("v1"));
        var archive = _temp.Sub("skopeo-save.tar");

        await Skopeo("copy", $"oci:{layout.Dir}:v1", $"docker-archive:{archive}:example.com/app:v1");
        var fetched = await DockerSave.Fetch($"{archive}:example.com/app:v1", _store);
        var fromLayout = await Fetch.Oci($"{layout.Dir}:v1", new OciBlobStore(_temp.Sub("store2")));

        Assert.Equal(fromLayout.Layers.Select(l => l.DiffId), fetched.Layers.Select(l => l.DiffId));
        Assert.Equal(new ImageCache.Contracts.PlatformSpec("linux", "amd64"), fetched.Platform);
        foreach (var layer in fetched.Layers) Assert.True(await _store.VerifyAsync(layer.Digest, CancellationToken.None));
    }
}
