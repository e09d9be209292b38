using System.Security.Cryptography;
using ImageCache.Contracts;
using ImageCache.Fetchers.Registry;

namespace ImageCache.Registry.Tests;

/// <summary>
/// <see cref="FetchRequest.LayersNeeded"/> false (a pull that looks for a prebuilt baseline first): the registry fetcher
/// resolves the image (manifest and config verified and stored) and returns its layer descriptors without downloading
/// one layer; asked again by the resolved digest with layers wanted, it fetches only the layers.
/// </summary>
public sealed class ResolveOnlyTests : IDisposable
{
    readonly RegistryServer registry = RegistryServer.Shared;
    readonly TestStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task Resolving_stores_the_manifest_and_config_but_no_layer_and_a_second_fetch_by_digest_adds_only_the_layers()
    {
        var repository = TestImages.Repository("resolve-only");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1", layers: [LayerCompression.Gzip, LayerCompression.Zstd]);
        using var proxy = new FaultProxy(registry.Address);
        using var fetcher = new RegistryFetcher(store.Options);

        var resolved = await fetcher.FetchAsync(
            new FetchRequest($"{proxy.Address}/{repository}:v1", null, store.Blobs, false, null) { LayersNeeded = false }, CancellationToken.None);

        Assert.Equal(image.ManifestDigest, resolved.ManifestDigest);
        Assert.Equal(image.ConfigDigest, resolved.ConfigDigest);
        Assert.Equal(image.LayerDigests, resolved.Layers.Select(l => l.Digest));
        Assert.Equal(image.DiffIds, resolved.Layers.Select(l => l.DiffId));
        Assert.Equal(new[] { image.ConfigDigest, image.ManifestDigest }.Order(StringComparer.Ordinal), store.VisibleBlobs.Order(StringComparer.Ordinal));
        Assert.Equal([$"/v2/{repository}/blobs/{image.ConfigDigest}"], proxy.BlobRequests.Select(r => r.Path));

        var requestsBefore = proxy.Requests.Count;
        var full = await fetcher.FetchAsync(new FetchRequest(resolved.ResolvedReference, null, store.Blobs, false, null), CancellationToken.None);

        Assert.Equal(resolved, full with { Layers = resolved.Layers });
        Assert.Equal(resolved.Layers, full.Layers);
        foreach (var digest in image.LayerDigests)
        {
            Assert.True(store.Blobs.Contains(digest), digest);
            await using var stored = store.Blobs.OpenRead(digest);
            Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stored)));
        }
        // The second fetch asked the registry for the two layers and nothing else: the manifest (by digest) and the
        // config came from the store.
        var second = proxy.Requests.Skip(requestsBefore).Where(r => r.Path.Contains("/blobs/", StringComparison.Ordinal) || r.Path.Contains("/manifests/", StringComparison.Ordinal)).Select(r => r.Path).Order(StringComparer.Ordinal);
        Assert.Equal(image.LayerDigests.Select(d => $"/v2/{repository}/blobs/{d}").Order(StringComparer.Ordinal), second);
    }
}
