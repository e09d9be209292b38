using System.Text.Json;

namespace ImageCache.Fleet.Tests;

/// <summary>
/// A prebuilt pull needs the source image resolved (manifest and config), not its layers: host B, behind a logging
/// proxy, takes A's baseline without asking the registry for one source layer; its record then holds up under
/// <c>verify</c>, <c>prune --purge</c> and a pull of the same key again; and when B must build after all (another
/// builder, another content key) the layers are fetched then and the build is right.
/// </summary>
public sealed class ResolveFirstTests : IDisposable
{
    readonly Fleet fleet = new();

    public void Dispose() => fleet.Dispose();

    [Fact]
    public async Task A_prebuilt_pull_downloads_no_source_layer_and_a_later_build_on_the_same_host_fetches_them()
    {
        var repository = TestImages.Repository("fleet-resolve");
        var image = await TestImages.PushImageAsync(fleet.Pusher, repository, "v1");
        Assert.Equal(2, image.LayerDigests.Count);

        var a = await fleet.RunAsync("a", null, "pull", $"{fleet.Registry}/{repository}:v1", "--from", fleet.Cache, "--push-to-cache");
        var recordA = a.Record();
        var key = recordA.GetProperty("content_key").GetString()!;

        // B reads the source through the proxy, the cache directly: the proxy sees exactly what B asks of the source.
        using var proxy = new FaultProxy(fleet.Registry);
        var source = $"{proxy.Address}/{repository}:v1";
        var b = await fleet.RunAsync("b", null, "pull", source, "--from", fleet.Cache);
        var recordB = b.Record();
        Assert.StartsWith($"{fleet.Cache}@sha256:", recordB.GetProperty("prebuilt_from").GetString());
        Assert.Equal(key, recordB.GetProperty("content_key").GetString());
        Assert.Equal(recordA.GetProperty("rootfs_sha256").GetString(), recordB.GetProperty("rootfs_sha256").GetString());
        Assert.Contains($"resolving {source}", b.Stderr);
        Assert.DoesNotContain("fetching the layers", b.Stderr);
        var asked = proxy.BlobRequests.Select(r => r.Path).ToArray();
        Assert.Contains(asked, p => p.EndsWith($"/blobs/{image.ConfigDigest}", StringComparison.Ordinal));
        foreach (var layer in image.LayerDigests)
        {
            Assert.DoesNotContain(asked, p => p.EndsWith($"/blobs/{layer}", StringComparison.Ordinal));
            Assert.False(File.Exists(BlobPath("b", layer)), $"layer {layer} is in B's blob store after a prebuilt pull");
        }
        Assert.True(File.Exists(BlobPath("b", image.ManifestDigest)), "the source manifest is not in B's blob store");
        Assert.True(File.Exists(BlobPath("b", image.ConfigDigest)), "the source config is not in B's blob store");

        // The record without its layers holds: verify passes, prune --purge keeps it and its manifest and config.
        var verify = await fleet.RunAsync("b", null, "verify");
        Assert.True(verify.Exit == 0, $"verify on host b: {verify.Stdout} {verify.Stderr}");
        var prune = await fleet.RunAsync("b", null, "prune", "--purge", "--keep-last", "1000", "--yes");
        Assert.True(prune.Exit == 0, $"prune on host b: {prune.Stdout} {prune.Stderr}");
        Assert.True(File.Exists(recordB.GetProperty("output_path").GetString()!), "prune removed the prebuilt baseline");
        Assert.True(File.Exists(BlobPath("b", image.ManifestDigest)), "prune removed the source manifest of a kept record");
        Assert.True(File.Exists(BlobPath("b", image.ConfigDigest)), "prune removed the source config of a kept record");

        // The same key again: the sealed baseline is reused, still marked prebuilt, still no layer asked for.
        var again = await fleet.RunAsync("b", null, "pull", source, "--from", fleet.Cache);
        Assert.Equal(recordB.GetProperty("prebuilt_from").GetString(), again.Record().GetProperty("prebuilt_from").GetString());
        Assert.Contains("is already built", again.Stderr);
        Assert.DoesNotContain(proxy.BlobRequests, r => image.LayerDigests.Any(l => r.Path.EndsWith($"/blobs/{l}", StringComparison.Ordinal)));

        // Another builder: another content key, nothing prebuilt for it, so B builds, and fetches the layers for that.
        var squashfs = await fleet.RunAsync("b", null, "pull", source, "--from", fleet.Cache, "--builder", "squashfs");
        var recordSquashfs = squashfs.Record();
        Assert.NotEqual(key, recordSquashfs.GetProperty("content_key").GetString());
        Assert.False(recordSquashfs.TryGetProperty("prebuilt_from", out _));
        Assert.Contains("no prebuilt baseline", squashfs.Stderr);
        Assert.Contains("fetching the layers of", squashfs.Stderr);
        Assert.Contains("building squashfs with squashfs", squashfs.Stderr);
        foreach (var layer in image.LayerDigests)
        {
            Assert.Single(proxy.BlobRequests, r => r.Path.EndsWith($"/blobs/{layer}", StringComparison.Ordinal) && r.Method == "GET");
            Assert.True(File.Exists(BlobPath("b", layer)), $"layer {layer} is not in B's blob store after a build");
        }
        // What B built from the layers it fetched is what it would have built anyway: the files of both layers are in it.
        var listing = await Fleet.RunProgramAsync("unsquashfs", ["-l", "-d", "", recordSquashfs.GetProperty("output_path").GetString()!]);
        Assert.True(listing.Exit == 0, $"unsquashfs -l failed: {listing.Stderr}");
        Assert.Contains("/layer0/file", listing.Stdout);
        Assert.Contains("/layer1/file", listing.Stdout);

        // And the blob store is a whole OCI layout for the image now: skopeo reads the image B built from.
        var layout = $"oci:{Path.Combine(fleet.Host("b"), "oci")}:{proxy.Address}/{repository}:v1";
        var inspect = await Fleet.RunProgramAsync("skopeo", ["inspect", layout]);
        Assert.True(inspect.Exit == 0, $"skopeo inspect {layout} failed: {inspect.Stderr}");
        using var inspected = JsonDocument.Parse(inspect.Stdout);
        Assert.Equal(image.LayerDigests, inspected.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!).ToArray());
    }

    string BlobPath(string host, string digest) => Path.Combine(fleet.Host(host), "oci", "blobs", "sha256", digest["sha256:".Length..]);
}
