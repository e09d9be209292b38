using System.Text.Json;
using ImageCache.Core;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Sources.Tests;

/// <summary>
/// oci:, oci-archive: and docker-archive: (plain and gzipped) inputs written by the real skopeo from one layout the test
/// made: the same layers and the same tree, which is the tree umoci unpacks from the original (issue 3 acceptance).
/// </summary>
public sealed class ArchiveSourcesTests : IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Skopeo_written_layout_and_archives_give_the_same_diff_ids_and_the_tree_umoci_unpacks_from_the_original()
    {
        var layout = sandbox.Sub("layout");
        TestImage.WriteLayout(layout);
        var ociArchive = sandbox.Sub("image.oci.tar");
        var dockerArchive = sandbox.Sub("image.docker.tar");
        await Tools.Skopeo("copy", "--preserve-digests", $"oci:{layout}:v1", $"oci-archive:{ociArchive}:v1");
        await Tools.Skopeo("copy", $"oci:{layout}:v1", $"docker-archive:{dockerArchive}:example.com/app:v1");
        var gzipped = sandbox.Sub("image.docker.tar.gz");
        await using (var input = File.OpenRead(dockerArchive))
        await using (var output = new System.IO.Compression.GZipStream(File.Create(gzipped), System.IO.Compression.CompressionLevel.Fastest))
            await input.CopyToAsync(output);

        var fromLayout = await sandbox.PullAsync($"oci:{layout}:v1");
        var fromOciArchive = await sandbox.PullAsync($"oci-archive:{ociArchive}:v1");
        var fromDockerArchive = await sandbox.PullAsync($"docker-archive:{dockerArchive}:example.com/app:v1");
        var fromGzipped = await sandbox.PullAsync($"docker-archive:{gzipped}");
        var gzippedOci = sandbox.Sub("image.oci.tar.gz");
        await Tools.RunAsync("sh", "-c", $"gzip -c '{ociArchive}' > '{gzippedOci}'");
        var fromGzippedOci = await sandbox.PullAsync($"oci-archive:{gzippedOci}:v1");

        // An OCI archive copied with --preserve-digests is the layout itself: the same manifest and layers. A docker
        // archive has no manifest of its own (one is synthesised) and skopeo stores its layers uncompressed, so its
        // layer digests are the diff_ids; the uncompressed digests agree everywhere.
        Assert.Equal(fromLayout.Digest, fromOciArchive.Digest);
        Assert.Equal(fromLayout.LayerDigests, fromOciArchive.LayerDigests);
        Assert.Equal(fromLayout.Digest, fromGzippedOci.Digest);
        Assert.Equal(fromDockerArchive.Digest, fromGzipped.Digest);
        var diffIds = DiffIds(fromLayout);
        Assert.Equal(2, diffIds.Count);
        Assert.Equal(diffIds, DiffIds(fromOciArchive));
        Assert.Equal(diffIds, DiffIds(fromDockerArchive));
        Assert.Equal(diffIds, DiffIds(fromGzipped));
        Assert.Equal(diffIds, fromDockerArchive.LayerDigests);
        Assert.Equal(diffIds, fromGzipped.LayerDigests);

        var original = await UnpackAsync($"{layout}:v1", "original");
        Assert.Contains(original, l => l.StartsWith("/bin/tool-link f 755 1000:1000", StringComparison.Ordinal) && l.Contains("hardlink-of=bin/tool", StringComparison.Ordinal));
        Assert.Contains(original, l => l.StartsWith("/run/fifo p 600", StringComparison.Ordinal));
        Assert.Contains(original, l => l.StartsWith("/etc/new f", StringComparison.Ordinal) && l.Contains("user.note=6b657074", StringComparison.Ordinal));
        Assert.DoesNotContain(original, l => l.StartsWith("/etc/gone", StringComparison.Ordinal));
        foreach (var (record, name) in new[] { (fromLayout, "oci"), (fromOciArchive, "oci-archive"), (fromDockerArchive, "docker-archive"), (fromGzipped, "docker-archive-gz") })
            Assert.Equal(original, await UnpackAsync($"{sandbox.OciDir}:{record.Digest}", name));
    }

    [Fact]
    public async Task A_classic_docker_save_whose_second_image_links_a_shared_layer_is_read_through_the_link()
    {
        var layout = sandbox.Sub("layout");
        TestImage.WriteLayout(layout);
        var plain = sandbox.Sub("plain.tar");
        await Tools.Skopeo("copy", $"oci:{layout}:v1", $"docker-archive:{plain}:example.com/app:v1");
        var expected = await sandbox.PullAsync($"docker-archive:{plain}");

        // Rewrite the archive the way classic docker save writes a layer it already wrote: the listed member is a
        // symlink (in its own directory) to the first copy.
        var linked = sandbox.Sub("linked.tar");
        var unpacked = sandbox.Sub("unpacked");
        Directory.CreateDirectory(unpacked);
        await Tools.RunAsync("tar", "-xf", plain, "-C", unpacked);
        var manifestPath = Path.Combine(unpacked, "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var firstLayer = (string)manifest[0]!["Layers"]![1]!;
        Directory.CreateDirectory(Path.Combine(unpacked, "shared"));
        File.CreateSymbolicLink(Path.Combine(unpacked, "shared", "layer.tar"), "../" + firstLayer);
        manifest[0]!["Layers"]![1] = "shared/layer.tar";
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        await Tools.RunAsync("tar", "-cf", linked, "-C", unpacked, ".");

        var record = await sandbox.PullAsync($"docker-archive:{linked}");

        Assert.Equal(expected.LayerDigests, record.LayerDigests);
        Assert.Equal(expected.Digest, record.Digest);
    }

    List<string> DiffIds(ImageRecord record)
    {
        var store = new OciBlobStore(sandbox.OciDir);
        using var manifest = JsonDocument.Parse(store.OpenRead(record.Digest));
        var configDigest = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        using var config = JsonDocument.Parse(store.OpenRead(configDigest));
        return [.. config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!)];
    }

    async Task<List<string>> UnpackAsync(string image, string name)
    {
        var bundle = sandbox.Sub("bundle-" + name);
        await Tools.RunAsync("umoci", "unpack", "--image", image, bundle);
        return await Tree.SnapshotAsync(Path.Combine(bundle, "rootfs"));
    }
}
