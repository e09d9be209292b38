using System.Text.Json.Nodes;
using ImageCache.Contracts;

namespace ImageCache.Registry.Tests;

/// <summary>Pulls from the plain docker-registry test.sh starts: tags, digests, multi-arch selection, config checks, errors.</summary>
public sealed class RegistryFetchTests : IDisposable
{
    readonly RegistryServer registry = RegistryServer.Shared;
    readonly TestStore store = new();

    public void Dispose() => store.Dispose();

    ImagePusher Pusher => new(registry.Address);

    [Fact]
    public async Task A_tag_resolves_to_its_manifest_with_every_blob_verified_in_the_store_and_diff_ids_passed_on()
    {
        var repository = TestImages.Repository("single");
        var image = await TestImages.PushImageAsync(Pusher, repository, "v1", layers: [LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.Plain]);

        var fetched = await store.FetchAsync($"{registry.Address}/{repository}:v1");

        Assert.Equal(image.ManifestDigest, fetched.ManifestDigest);
        Assert.Null(fetched.IndexDigest);
        Assert.Equal($"{registry.Address}/{repository}@{image.ManifestDigest}", fetched.ResolvedReference);
        Assert.Equal(image.ConfigDigest, fetched.ConfigDigest);
        Assert.Equal(new PlatformSpec("linux", "amd64"), fetched.Platform);
        Assert.Equal(image.LayerDigests, fetched.Layers.Select(l => l.Digest));
        Assert.Equal(image.DiffIds, fetched.Layers.Select(l => l.DiffId));
        Assert.Equal(["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar"],
            fetched.Layers.Select(l => l.MediaType));
        foreach (var digest in image.LayerDigests.Append(image.ConfigDigest).Append(image.ManifestDigest))
        {
            Assert.True(store.Blobs.Contains(digest), digest);
            await using var stored = store.Blobs.OpenRead(digest);
            Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stored)));
        }
    }

    [Fact]
    public async Task A_digest_reference_and_a_docker_prefixed_one_give_the_same_image()
    {
        var repository = TestImages.Repository("bydigest");
        var image = await TestImages.PushImageAsync(Pusher, repository, "v1", docker: true);

        var byDigest = await store.FetchAsync($"{registry.Address}/{repository}@{image.ManifestDigest}");
        var byScheme = await store.FetchAsync($"//{registry.Address}/{repository}:v1");

        Assert.Equal(image.ManifestDigest, byDigest.ManifestDigest);
        Assert.Equal(byDigest, byScheme with { Layers = byDigest.Layers });
        Assert.Equal(byDigest.Layers, byScheme.Layers);
        Assert.All(byDigest.Layers, l => Assert.StartsWith("application/vnd.", l.MediaType));
    }

    async Task<(string Repository, string IndexDigest, PushedImage Amd64, PushedImage Arm64, PushedImage ArmV7, PushedImage ArmV6)> PushMultiArchAsync(bool docker = false)
    {
        var repository = TestImages.Repository("multi");
        var amd64 = await TestImages.PushImageAsync(Pusher, repository, null, "amd64", docker: docker);
        var arm64 = await TestImages.PushImageAsync(Pusher, repository, null, "arm64", "v8", [LayerCompression.Zstd], docker: docker && false);
        var armV7 = await TestImages.PushImageAsync(Pusher, repository, null, "arm", "v7", [LayerCompression.Plain], docker: docker);
        var armV6 = await TestImages.PushImageAsync(Pusher, repository, null, "arm", "v6", docker: docker);
        var attestation = await TestImages.PushImageAsync(Pusher, repository, null, "amd64");
        var entries = new List<JsonObject>
        {
            // A buildx attestation entry first: it must never be chosen, even for a wildcard-ish request.
            TestImages.Entry(attestation, "unknown", "unknown", annotations: new JsonObject { ["vnd.docker.reference.type"] = "attestation-manifest" }),
            TestImages.Entry(armV6, "linux", "arm", "v6"),
            TestImages.Entry(armV7, "linux", "arm", "v7"),
            TestImages.Entry(amd64, "linux", "amd64"),
            TestImages.Entry(arm64, "linux", "arm64", "v8"),
        };
        var (digest, _) = await TestImages.PushIndexAsync(Pusher, repository, "multi", entries, docker);
        return (repository, digest, amd64, arm64, armV7, armV6);
    }

    [Fact]
    public async Task A_multi_arch_index_gives_the_requested_platform_with_variant_rules_and_the_index_digest()
    {
        var (repository, indexDigest, amd64, arm64, armV7, armV6) = await PushMultiArchAsync();
        var reference = $"{registry.Address}/{repository}:multi";

        var host = await store.FetchAsync(reference);
        Assert.Equal(amd64.ManifestDigest, host.ManifestDigest); // the host (amd64 here) is the default
        Assert.Equal(indexDigest, host.IndexDigest);
        Assert.True(store.Blobs.Contains(indexDigest));

        var v7 = await store.FetchAsync(reference, new PlatformSpec("linux", "arm", "v7"));
        Assert.Equal(armV7.ManifestDigest, v7.ManifestDigest);
        Assert.Equal(new PlatformSpec("linux", "arm", "v7"), v7.Platform);

        // No variant asked: the first arm entry (v6) wins; arm64 without a variant means v8.
        Assert.Equal(armV6.ManifestDigest, (await store.FetchAsync(reference, new PlatformSpec("linux", "arm"))).ManifestDigest);
        var a64 = await store.FetchAsync(reference, new PlatformSpec("linux", "arm64", "v8"));
        Assert.Equal(arm64.ManifestDigest, a64.ManifestDigest);
        Assert.Equal(arm64.DiffIds, a64.Layers.Select(l => l.DiffId));
    }

    [Fact]
    public async Task A_missing_platform_is_an_error_that_lists_the_platforms_without_the_attestation()
    {
        var (repository, _, _, _, _, _) = await PushMultiArchAsync(docker: true);

        var error = await store.FailAsync($"{registry.Address}/{repository}:multi", new PlatformSpec("linux", "s390x"));

        Assert.Contains("no image for platform linux/s390x", error.Message);
        Assert.Contains("available: linux/arm/v6, linux/arm/v7, linux/amd64, linux/arm64/v8", error.Message);
        Assert.DoesNotContain("unknown", error.Message);
    }

    [Fact]
    public async Task A_nested_index_is_followed()
    {
        var repository = TestImages.Repository("nested");
        var arm64 = await TestImages.PushImageAsync(Pusher, repository, null, "arm64");
        var (inner, innerSize) = await TestImages.PushIndexAsync(Pusher, repository, "inner", [TestImages.Entry(arm64, "linux", "arm64")]);
        var (outer, _) = await TestImages.PushIndexAsync(Pusher, repository, "outer",
            [new JsonObject { ["mediaType"] = TestImages.OciIndex, ["digest"] = inner, ["size"] = innerSize }]);

        var fetched = await store.FetchAsync($"{registry.Address}/{repository}:outer", new PlatformSpec("linux", "arm64"));

        Assert.Equal(arm64.ManifestDigest, fetched.ManifestDigest);
        Assert.Equal(inner, fetched.IndexDigest);
        Assert.True(store.Blobs.Contains(outer));
        Assert.True(store.Blobs.Contains(inner));
    }

    [Fact]
    public async Task A_config_that_disagrees_with_its_manifest_or_the_request_is_refused()
    {
        var repository = TestImages.Repository("badconfig");
        await TestImages.PushImageAsync(Pusher, repository, "type", editConfig: c => c["rootfs"]!["type"] = "tarballs");
        await TestImages.PushImageAsync(Pusher, repository, "count", editConfig: c => ((JsonArray)c["rootfs"]!["diff_ids"]!).RemoveAt(0));
        await TestImages.PushImageAsync(Pusher, repository, "arm", "arm64");

        Assert.Contains("rootfs.type is 'tarballs', expected 'layers'", (await store.FailAsync($"{registry.Address}/{repository}:type")).Message);
        Assert.Contains("rootfs.diff_ids has 1 entries but the manifest has 2 layers", (await store.FailAsync($"{registry.Address}/{repository}:count")).Message);
        Assert.Contains("the image is for linux/arm64, not the requested linux/amd64",
            (await store.FailAsync($"{registry.Address}/{repository}:arm", new PlatformSpec("linux", "amd64"))).Message);
    }

    [Fact]
    public async Task Unknown_tags_repositories_and_hosts_are_named_in_the_error()
    {
        var repository = TestImages.Repository("errors");
        await TestImages.PushImageAsync(Pusher, repository, "v1");

        var tag = await store.FailAsync($"{registry.Address}/{repository}:nope");
        Assert.StartsWith($"unknown tag: {registry.Address}/{repository} has no tag 'nope'", tag.Message);

        var repo = await store.FailAsync($"{registry.Address}/test/never-pushed:v1");
        Assert.StartsWith($"unknown repository: {registry.Address}/test/never-pushed does not exist", repo.Message);

        var host = await store.FailAsync("no-such-host.invalid/x/y:1");
        Assert.Contains("unknown host no-such-host.invalid", host.Message);

        var digest = "sha256:" + new string('a', 64);
        Assert.Contains($"unknown manifest", (await store.FailAsync($"{registry.Address}/{repository}@{digest}")).Message);

        Assert.Contains("repository names must be lowercase", (await store.FailAsync($"{registry.Address}/Test/X:1")).Message);
        Assert.Empty(store.VisibleBlobs);
    }
}
