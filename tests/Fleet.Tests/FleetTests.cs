using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageCache.Fleet.Tests;

/// <summary>
/// Issue 8's fleet simulation: host A builds a baseline and publishes it; hosts B and C take it prebuilt (no builder
/// runs) and get the same bytes; a new image tag is built and published by B; a tampered artifact is refused and built.
/// </summary>
public sealed class FleetTests : IDisposable
{
    const string BuildLine = "building ext4 with ext4"; // the pull's build-phase progress line

    readonly Fleet fleet = new();

    public void Dispose() => fleet.Dispose();

    string Source(string repository, string tag) => $"{fleet.Registry}/{repository}:{tag}";

    [Fact]
    public async Task Host_a_builds_and_publishes_hosts_b_and_c_pull_the_same_bytes_prebuilt_and_a_new_tag_is_built_by_b()
    {
        var repository = TestImages.Repository("fleet-src");
        var v1 = await TestImages.PushImageAsync(fleet.Pusher, repository, "v1");

        // Host A: nothing in the cache yet; builds and publishes.
        var a = await fleet.RunAsync("a", null, "pull", Source(repository, "v1"), "--from", fleet.Cache, "--push-to-cache");
        var recordA = a.Record();
        Assert.Contains(BuildLine, a.Stderr);
        Assert.Contains("no prebuilt baseline", a.Stderr);
        Assert.Contains($"published {fleet.Cache}@sha256:", a.Stderr);
        Assert.False(recordA.TryGetProperty("prebuilt_from", out _));
        var key = recordA.GetProperty("content_key").GetString()!;
        var sha = recordA.GetProperty("rootfs_sha256").GetString()!;
        var pathA = recordA.GetProperty("output_path").GetString()!;
        Assert.Equal(sha, Fleet.Sha256Of(pathA));

        // The cache as another tool sees it: the artifact and its annotations.
        using (var manifest = await fleet.InspectRawAsync($"{fleet.Cache}:baseline-{key}"))
        {
            var root = manifest.RootElement;
            Assert.Equal("application/vnd.imagecache.rootfs.v1", root.GetProperty("artifactType").GetString());
            Assert.Equal("application/vnd.imagecache.rootfs.config.v1+json", root.GetProperty("config").GetProperty("mediaType").GetString());
            var layers = root.GetProperty("layers");
            Assert.Equal(1, layers.GetArrayLength());
            Assert.Equal("application/vnd.imagecache.rootfs.ext4.v1+zstd", layers[0].GetProperty("mediaType").GetString());
            Assert.Equal(v1.ManifestDigest, root.GetProperty("subject").GetProperty("digest").GetString());
            var annotations = root.GetProperty("annotations");
            Assert.Equal(key, annotations.GetProperty("vnd.imagecache.content-key").GetString());
            Assert.Equal(sha, annotations.GetProperty("vnd.imagecache.rootfs_sha256").GetString());
            Assert.Equal(v1.ManifestDigest, annotations.GetProperty("vnd.imagecache.source.digest").GetString());
            Assert.Equal("linux/amd64", annotations.GetProperty("vnd.imagecache.platform").GetString());
            Assert.Equal("ext4", annotations.GetProperty("vnd.imagecache.builder").GetString());
            Assert.Equal("ext4", annotations.GetProperty("vnd.imagecache.format").GetString());
            Assert.Equal(new FileInfo(pathA).Length.ToString(), annotations.GetProperty("vnd.imagecache.rootfs.size").GetString());
            using var buildOptions = JsonDocument.Parse(annotations.GetProperty("vnd.imagecache.build-options").GetString()!);
            Assert.Equal("stripped", buildOptions.RootElement.GetProperty("setuid_policy").GetString());
            using var imageConfig = JsonDocument.Parse(annotations.GetProperty("vnd.imagecache.image-config").GetString()!);
            Assert.Equal("/bin/sh", imageConfig.RootElement.GetProperty("cmd")[0].GetString());
        }
        // docker-registry 2.8 has no referrers API: the subject is linked through the fallback tag sha256-<hex>.
        using (var referrers = await fleet.InspectRawAsync($"{fleet.Cache}:{v1.ManifestDigest.Replace(':', '-')}"))
        {
            var entry = Assert.Single(referrers.RootElement.GetProperty("manifests").EnumerateArray());
            Assert.Equal("application/vnd.imagecache.rootfs.v1", entry.GetProperty("artifactType").GetString());
            Assert.Equal(key, entry.GetProperty("annotations").GetProperty("vnd.imagecache.content-key").GetString());
        }

        // Host B with --from, host C with $IMAGECACHE_SHARED_CACHE: prebuilt, byte-identical, sealed, no build.
        var b = await fleet.RunAsync("b", null, "pull", Source(repository, "v1"), "--from", fleet.Cache);
        var c = await fleet.RunAsync("c", new Dictionary<string, string> { ["IMAGECACHE_SHARED_CACHE"] = fleet.Cache }, "pull", Source(repository, "v1"));
        foreach (var (run, host) in new[] { (b, "b"), (c, "c") })
        {
            var record = run.Record();
            Assert.DoesNotContain(BuildLine, run.Stderr);
            Assert.StartsWith($"{fleet.Cache}@sha256:", record.GetProperty("prebuilt_from").GetString());
            Assert.Equal(key, record.GetProperty("content_key").GetString());
            Assert.Equal(sha, record.GetProperty("rootfs_sha256").GetString());
            var path = record.GetProperty("output_path").GetString()!;
            Assert.StartsWith(fleet.Host(host), path);
            Assert.Equal(sha, Fleet.Sha256Of(path));
            Assert.True(File.ReadAllBytes(pathA).AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"{path} differs from host A's baseline");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
            var verify = await fleet.RunAsync(host, null, "verify");
            Assert.True(verify.Exit == 0, $"verify on host {host}: {verify.Stdout} {verify.Stderr}");
        }

        // A new image under a new tag: a new content key; B builds it and publishes it.
        var v2 = await TestImages.PushImageAsync(fleet.Pusher, repository, "v2", layers: [LayerCompression.Zstd]);
        var b2 = await fleet.RunAsync("b", null, "pull", Source(repository, "v2"), "--from", fleet.Cache, "--push-to-cache");
        var recordB2 = b2.Record();
        Assert.Contains(BuildLine, b2.Stderr);
        Assert.False(recordB2.TryGetProperty("prebuilt_from", out _));
        var key2 = recordB2.GetProperty("content_key").GetString()!;
        Assert.NotEqual(key, key2);
        using (var published = await fleet.InspectRawAsync($"{fleet.Cache}:baseline-{key2}"))
        {
            Assert.Equal(v2.ManifestDigest, published.RootElement.GetProperty("annotations").GetProperty("vnd.imagecache.source.digest").GetString());
            Assert.Equal(recordB2.GetProperty("rootfs_sha256").GetString(), published.RootElement.GetProperty("annotations").GetProperty("vnd.imagecache.rootfs_sha256").GetString());
        }
        // And C now takes v2 prebuilt as well.
        var c2 = await fleet.RunAsync("c", null, "pull", Source(repository, "v2"), "--from", fleet.Cache);
        Assert.DoesNotContain(BuildLine, c2.Stderr);
        Assert.Equal(recordB2.GetProperty("rootfs_sha256").GetString(), c2.Record().GetProperty("rootfs_sha256").GetString());
    }

    [Fact]
    public async Task A_tampered_artifact_under_the_right_tag_is_rejected_and_the_host_builds_instead()
    {
        var repository = TestImages.Repository("fleet-tamper");
        await TestImages.PushImageAsync(fleet.Pusher, repository, "v1");
        var a = await fleet.RunAsync("a", null, "pull", Source(repository, "v1"));
        var recordA = a.Record();
        var key = recordA.GetProperty("content_key").GetString()!;
        var push = await fleet.RunAsync("a", null, "push", Source(repository, "v1"), fleet.Cache);
        Assert.True(push.Exit == 0, $"imagecache push failed: {push.Stderr}");
        using var pushed = JsonDocument.Parse(push.Stdout);
        Assert.Equal($"baseline-{key}", pushed.RootElement.GetProperty("tag").GetString());

        // Wrong bytes under the right tag: a layer of other (valid zstd) content, with the original annotations and config.
        using var original = await fleet.InspectRawAsync($"{fleet.Cache}:baseline-{key}");
        var manifest = JsonNode.Parse(original.RootElement.GetRawText())!.AsObject();
        var cacheRepository = fleet.Cache[(fleet.Registry.Length + 1)..];
        using (var compressor = new ZstdSharp.Compressor(3))
        {
            var forged = compressor.Wrap(Encoding.UTF8.GetBytes(new string('x', 4096))).ToArray();
            var digest = await fleet.Pusher.PushBlobAsync(cacheRepository, forged);
            var layer = manifest["layers"]![0]!.AsObject();
            layer["digest"] = digest;
            layer["size"] = forged.Length;
        }
        await fleet.Pusher.PushManifestAsync(cacheRepository, $"baseline-{key}", Encoding.UTF8.GetBytes(manifest.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");

        var b = await fleet.RunAsync("b", null, "pull", Source(repository, "v1"), "--from", fleet.Cache);
        var recordB = b.Record();
        Assert.Contains($"rejected the prebuilt baseline {fleet.Cache}@sha256:", b.Stderr);
        Assert.Contains("building instead", b.Stderr);
        Assert.Contains(BuildLine, b.Stderr);
        Assert.False(recordB.TryGetProperty("prebuilt_from", out _));
        // Builds are reproducible: B's own build has A's bytes.
        Assert.Equal(recordA.GetProperty("rootfs_sha256").GetString(), recordB.GetProperty("rootfs_sha256").GetString());
        Assert.Equal(recordB.GetProperty("rootfs_sha256").GetString(), Fleet.Sha256Of(recordB.GetProperty("output_path").GetString()!));
        // Nothing of the forged download is left behind.
        Assert.Empty(Directory.Exists(Path.Combine(fleet.Host("b"), "tmp")) ? Directory.GetFileSystemEntries(Path.Combine(fleet.Host("b"), "tmp")) : []);
    }

    [Fact]
    public async Task Push_to_cache_without_a_cache_repository_is_a_clear_error_and_pulls_nothing()
    {
        var run = await fleet.RunAsync("a", null, "pull", Source(TestImages.Repository("fleet-none"), "v1"), "--push-to-cache");
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("--push-to-cache needs a cache repository", run.Stderr);
        Assert.False(File.Exists(Path.Combine(fleet.Host("a"), "images", "index.json")));
    }
}
