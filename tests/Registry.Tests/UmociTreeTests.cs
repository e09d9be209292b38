using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Builders.Tests;
using ImageCache.Host.Operations;

namespace ImageCache.Registry.Tests;

/// <summary>
/// Acceptance of the registry source: the kitchen-sink corpus (several gzip and plain layers with whiteouts, opaque directories, hard
/// links, devices, xattrs) pushed to the real registry, pulled by <c>127.0.0.1:PORT/repo:tag</c> through the host with
/// the published plugins into an ext4 baseline, and read back with debugfs, equals what <c>umoci unpack</c> makes of
/// <c>skopeo copy docker://… oci:DIR:tag</c> of the same image.
/// </summary>
public sealed class UmociTreeTests : IDisposable
{
    readonly RegistryServer registry = RegistryServer.Shared;
    readonly Harness harness = new();

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task A_registry_pull_builds_the_tree_umoci_unpacks_from_skopeos_copy()
    {
        var repository = TestImages.Repository("umoci");
        var layers = Corpus.KitchenSink();
        Assert.True(layers.Length >= 2, "the corpus must have several layers (whiteouts act across layers)");
        // umoci 0.4.7 cannot unpack zstd layers; gzip and plain alternate (zstd is covered by the skopeo interop test).
        var compressions = new[] { LayerCompression.Gzip, LayerCompression.Plain };
        var pusher = new ImagePusher(registry.Address);
        var descriptors = new JsonArray();
        for (var i = 0; i < layers.Length; i++)
        {
            var compression = compressions[i % compressions.Length];
            var blob = TestImages.Compress(layers[i], compression);
            var mediaType = compression switch
            {
                LayerCompression.Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                LayerCompression.Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
                _ => "application/vnd.oci.image.layer.v1.tar",
            };
            descriptors.Add(new JsonObject { ["mediaType"] = mediaType, ["digest"] = await pusher.PushBlobAsync(repository, blob), ["size"] = blob.Length });
        }
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. layers.Select(l => JsonValue.Create(ImagePusher.Sha256(l)))]) },
        }.ToJsonString());
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = TestImages.OciManifest,
            ["config"] = new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = await pusher.PushBlobAsync(repository, config), ["size"] = config.Length,
            },
            ["layers"] = descriptors,
        }.ToJsonString());
        var manifestDigest = await pusher.PushManifestAsync(repository, "v1", manifest, TestImages.OciManifest);
        var reference = $"{registry.Address}/{repository}:v1";

        var client = new ImageCacheClient(new ImageCacheOptions { StateDir = Path.Combine(harness.Root, "state") });
        var record = await client.PullAsync(new PullRequest(reference, "linux/amd64", "ext4", AllowSetuid: true, PluginDirectories: [Harness.PluginsDir]));
        Assert.Equal(manifestDigest, record.Digest);
        Tools.AssertChecksClean(record.OutputPath);
        var actual = harness.ReadBack(record.OutputPath);

        var layout = Path.Combine(harness.Root, "skopeo-layout");
        Tools.RunOk("skopeo", "--insecure-policy", "copy", "--preserve-digests", "--src-tls-verify=false",
            $"docker://{reference}", $"oci:{layout}:{OciImage.Tag}");
        FsTree.AssertEqual(harness.Expected(layout), actual, "registry pull (ext4) vs umoci unpack of skopeo's copy");
        // The corpus's whiteouts took effect (not merely agreed on): its opaque directory kept only the later layer's file.
        Assert.Equal(["opq-before/new"], actual.Nodes.Keys.Where(k => k.StartsWith("opq-before/", StringComparison.Ordinal)));
    }
}
