using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Contracts;
using ImageCache.Fetchers.Oci;
using ImageCache.Fetchers.Shared;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Plugins.Tests.Oci;

public sealed class OciLayoutFetcherTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly OciBlobStore _store;
    readonly TestLayout _layout;

    public OciLayoutFetcherTests()
    {
        _store = new OciBlobStore(_temp.Sub("store"));
        _layout = new TestLayout(_temp.Sub("layout"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_single_image_layout_is_fetched_without_a_ref_and_every_blob_lands_verified_in_the_store()
    {
        var image = _layout.AddImage("amd64");
        _layout.WriteIndexJson(image.Manifest.Named("v1") with { Os = null });

        var fetched = await Fetch.Oci(_layout.Dir, _store);

        Assert.Equal($"oci:{_layout.Dir}@{image.Manifest.Digest}", fetched.ResolvedReference);
        Assert.Equal(image.Manifest.Digest, fetched.ManifestDigest);
        Assert.Null(fetched.IndexDigest);
        Assert.Equal(new PlatformSpec("linux", "amd64"), fetched.Platform);
        Assert.Equal(image.ConfigDigest, fetched.ConfigDigest);
        var layer = Assert.Single(fetched.Layers);
        Assert.Equal(new LayerDescriptor(image.LayerDigest, TestLayout.GzipLayerType, image.Layer.Length, image.DiffId), layer);
        foreach (var digest in new[] { image.Manifest.Digest, image.ConfigDigest, image.LayerDigest })
            Assert.True(await _store.VerifyAsync(digest, CancellationToken.None), digest);
    }

    [Fact]
    public async Task The_resolved_reference_fetches_the_same_image_again()
    {
        var image = _layout.AddImage("amd64");
        _layout.WriteIndexJson(image.Manifest.Named("v1"));
        var first = await Fetch.Oci($"{_layout.Dir}:v1", _store);

        var again = await Fetch.Oci(first.ResolvedReference["oci:".Length..], _store);

        Fetch.AssertSame(first, again);
    }

    [Fact]
    public async Task A_multi_arch_index_is_resolved_by_platform_skipping_the_attestation_and_the_index_is_stored()
    {
        var amd = _layout.AddImage("amd64");
        var arm = _layout.AddImage("arm64", variant: "v8");
        var index = _layout.AddIndex(_layout.Attestation(arm.Manifest), amd.Manifest, arm.Manifest);
        _layout.WriteIndexJson(index.Named("v1"));

        var onArm = await Fetch.Oci($"{_layout.Dir}:v1", _store, Fetch.Arm64);
        var onAmd = await Fetch.Oci($"{_layout.Dir}:v1", _store, Fetch.Amd64);

        Assert.Equal(arm.Manifest.Digest, onArm.ManifestDigest);
        Assert.Equal(new PlatformSpec("linux", "arm64", "v8"), onArm.Platform);
        Assert.Equal(arm.DiffId, onArm.Layers[0].DiffId);
        Assert.Equal(index.Digest, onArm.IndexDigest);
        Assert.Equal(amd.Manifest.Digest, onAmd.ManifestDigest);
        Assert.Equal(index.Digest, onAmd.IndexDigest);
        Assert.True(await _store.VerifyAsync(index.Digest, CancellationToken.None));
    }

    [Fact]
    public async Task A_wanted_variant_must_match_and_an_empty_one_accepts_any()
    {
        var arm = _layout.AddImage("arm64", variant: "v8");
        _layout.WriteIndexJson(_layout.AddIndex(arm.Manifest).Named("v1"));

        Assert.Equal(arm.Manifest.Digest, (await Fetch.Oci($"{_layout.Dir}:v1", _store, new PlatformSpec("linux", "arm64", "v8"))).ManifestDigest);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci($"{_layout.Dir}:v1", _store, new PlatformSpec("linux", "arm64", "v9")));
        Assert.Contains("available: linux/arm64/v8", error.Message);
    }

    [Fact]
    public async Task A_missing_platform_lists_the_available_ones_but_never_the_attestation()
    {
        var amd = _layout.AddImage("amd64");
        var arm = _layout.AddImage("arm64");
        _layout.WriteIndexJson(_layout.AddIndex(amd.Manifest, arm.Manifest, _layout.Attestation(arm.Manifest)).Named("v1"));

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci($"{_layout.Dir}:v1", _store, new PlatformSpec("linux", "s390x")));
        var unknown = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci($"{_layout.Dir}:v1", _store, new PlatformSpec("unknown", "unknown")));

        Assert.Equal($"oci:{_layout.Dir}: no image for platform linux/s390x; available: linux/amd64, linux/arm64", error.Message);
        Assert.Contains("no image for platform unknown/unknown", unknown.Message);
    }

    [Fact]
    public async Task Without_a_platform_the_host_platform_is_chosen()
    {
        var amd = _layout.AddImage("amd64");
        var arm = _layout.AddImage("arm64");
        _layout.WriteIndexJson(_layout.AddIndex(amd.Manifest, arm.Manifest).Named("v1"));

        var fetched = await Fetch.Oci($"{_layout.Dir}:v1", _store);

        Assert.Equal(Platforms.Host.Architecture, fetched.Platform.Architecture);
    }

    [Fact]
    public async Task Nested_indexes_are_followed()
    {
        var arm = _layout.AddImage("arm64");
        var inner = _layout.AddIndex(arm.Manifest);
        var outer = _layout.AddIndex(inner);
        _layout.WriteIndexJson(outer.Named("v1"));

        var fetched = await Fetch.Oci($"{_layout.Dir}:v1", _store, Fetch.Arm64);

        Assert.Equal(arm.Manifest.Digest, fetched.ManifestDigest);
        Assert.Equal(inner.Digest, fetched.IndexDigest);
        Assert.True(_store.Contains(outer.Digest));
    }

    [Fact]
    public async Task Several_images_without_a_ref_is_an_error_listing_the_refs_and_a_ref_chooses_one()
    {
        var a = _layout.AddImage("amd64", "a");
        var b = _layout.AddImage("amd64", "b");
        _layout.WriteIndexJson(a.Manifest.Named("alpha"), b.Manifest.Named("beta/2.0"));

        var several = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        var unknown = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci($"{_layout.Dir}:gamma", _store));
        var chosen = await Fetch.Oci($"{_layout.Dir}:beta/2.0", _store);

        Assert.Equal($"oci:{_layout.Dir}: the layout holds 2 images; name one with oci:{_layout.Dir}:REF (refs: alpha, beta/2.0)", several.Message);
        Assert.Equal($"oci:{_layout.Dir}: no image named 'gamma'; the layout has: alpha, beta/2.0", unknown.Message);
        Assert.Equal(b.Manifest.Digest, chosen.ManifestDigest);
    }

    [Fact]
    public async Task A_directory_whose_name_has_a_colon_is_not_split()
    {
        var layout = new TestLayout(_temp.Sub("with:colon"));
        var image = layout.AddImage();
        layout.WriteIndexJson(image.Manifest.Named("v1"));

        Assert.Equal(image.Manifest.Digest, (await Fetch.Oci(layout.Dir, _store)).ManifestDigest);
        Assert.Equal(image.Manifest.Digest, (await Fetch.Oci(layout.Dir + ":v1", _store)).ManifestDigest);
    }

    [Fact]
    public async Task A_symlinked_blob_is_refused_and_not_stored()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        var elsewhere = _temp.Sub("elsewhere");
        File.Move(_layout.BlobPath(image.LayerDigest), elsewhere);
        File.CreateSymbolicLink(_layout.BlobPath(image.LayerDigest), elsewhere);

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));

        Assert.Contains($"layer 0 ({image.LayerDigest}) (blob) is a symlink", error.Message);
        Assert.False(_store.Contains(image.LayerDigest));
    }

    [Fact]
    public async Task A_symlinked_manifest_is_refused()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        var elsewhere = _temp.Sub("elsewhere");
        File.Move(_layout.BlobPath(image.Manifest.Digest), elsewhere);
        File.CreateSymbolicLink(_layout.BlobPath(image.Manifest.Digest), elsewhere);

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));

        Assert.Contains("is a symlink", error.Message);
        Assert.False(_store.Contains(image.Manifest.Digest));
    }

    [Fact]
    public async Task A_layer_whose_content_does_not_match_its_digest_is_refused_and_nothing_of_it_is_stored()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        var bytes = (byte[])image.Layer.Clone();
        bytes[^5] ^= 0xff;
        File.WriteAllBytes(_layout.BlobPath(image.LayerDigest), bytes);

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));

        Assert.StartsWith($"oci:{_layout.Dir}: layer 0 ({image.LayerDigest}): digest mismatch: expected {image.LayerDigest}, got sha256:", error.Message);
        Assert.False(_store.Contains(image.LayerDigest));
        Assert.Empty(Directory.EnumerateFiles(_store.IngestDir));
    }

    [Fact]
    public async Task A_manifest_whose_content_does_not_match_its_digest_is_refused()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        var path = _layout.BlobPath(image.Manifest.Digest);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"schemaVersion\":2", "\"schemaVersion\":3"));

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));

        Assert.StartsWith($"oci:{_layout.Dir}: manifest {image.Manifest.Digest}: digest mismatch: expected {image.Manifest.Digest}, got sha256:", error.Message);
        Assert.False(_store.Contains(image.Manifest.Digest));
    }

    [Fact]
    public async Task A_missing_directory_is_named()
    {
        var missing = _temp.Sub("nope");
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(missing, _store));
        Assert.Equal($"oci:{missing}: no such directory", error.Message);
    }

    [Fact]
    public async Task A_directory_without_oci_layout_is_not_a_layout()
    {
        File.Delete(Path.Combine(_layout.Dir, "oci-layout"));
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.Equal($"oci:{_layout.Dir}: not an OCI image layout (no oci-layout file)", error.Message);
    }

    [Fact]
    public async Task An_unsupported_layout_version_is_refused()
    {
        File.WriteAllText(Path.Combine(_layout.Dir, "oci-layout"), """{"imageLayoutVersion":"2.0.0"}""");
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.Equal($"oci:{_layout.Dir}: unsupported imageLayoutVersion '2.0.0' in oci-layout (expected 1.0.0)", error.Message);
    }

    [Fact]
    public async Task Bad_json_in_index_json_is_one_clear_line()
    {
        File.WriteAllText(Path.Combine(_layout.Dir, "index.json"), "{\"manifests\": [\n");
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.StartsWith($"oci:{_layout.Dir}: index.json is not valid JSON: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_schema_1_manifest_is_refused_with_a_clear_message()
    {
        var schema1 = _layout.Json(new JsonObject { ["schemaVersion"] = 1, ["name"] = "x", ["tag"] = "latest", ["fsLayers"] = new JsonArray() },
            "application/vnd.docker.distribution.manifest.v1+prettyjws");
        _layout.WriteIndexJson(schema1);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.Contains("is a Docker schema 1 manifest, which is not supported", error.Message);
    }

    [Fact]
    public async Task A_media_type_mismatch_between_descriptor_and_content_is_refused()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest with { MediaType = "application/vnd.docker.distribution.manifest.v2+json" });
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.Contains("media type mismatch: the descriptor says application/vnd.docker.distribution.manifest.v2+json, the content says application/vnd.oci.image.manifest.v1+json", error.Message);
    }

    [Fact]
    public async Task A_manifest_over_4_MiB_is_refused_before_it_is_read()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest with { Size = (4 << 20) + 1 });
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.Contains("over the 4 MiB limit", error.Message);
    }

    [Fact]
    public async Task A_config_whose_diff_ids_do_not_match_the_layer_count_is_refused()
    {
        var image = _layout.AddImage(rootfs: new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() });
        _layout.WriteIndexJson(image.Manifest);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.EndsWith("rootfs.diff_ids has 0 entries but the manifest has 1 layers", error.Message);
    }

    [Fact]
    public async Task A_config_whose_rootfs_type_is_not_layers_is_refused()
    {
        var image = _layout.AddImage(rootfs: new JsonObject { ["type"] = "squash", ["diff_ids"] = new JsonArray() });
        _layout.WriteIndexJson(image.Manifest);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store));
        Assert.EndsWith("rootfs.type is 'squash', expected 'layers'", error.Message);
    }

    [Fact]
    public async Task A_requested_platform_the_single_image_does_not_have_is_refused()
    {
        var image = _layout.AddImage("amd64");
        _layout.WriteIndexJson(image.Manifest with { Os = null });
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Oci(_layout.Dir, _store, Fetch.Arm64));
        Assert.Equal($"oci:{_layout.Dir}: the image is for linux/amd64, not the requested linux/arm64", error.Message);
    }

    [Fact]
    public async Task Progress_reports_each_blob_and_a_second_fetch_reuses_everything()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        var first = new RecordingProgress();
        var second = new RecordingProgress();

        await Fetch.Oci(_layout.Dir, _store, progress: first);
        await Fetch.Oci(_layout.Dir, _store, progress: second);

        Assert.Contains(first.Reports, r => r is { Reused: false } && r.Digest == image.LayerDigest && r.Transferred == image.Layer.Length);
        Assert.All(second.Reports, r => Assert.True(r.Reused));
        Assert.Equal(
            new[] { image.Manifest.Digest, image.ConfigDigest, image.LayerDigest }.Order(),
            second.Reports.Select(r => r.Digest).Order());
    }
}
