using System.Diagnostics;

namespace ImageCache.Registry.Tests;

/// <summary>
/// Which hosts are reached and how: a name that does not resolve fails at once with an error naming it; loopback
/// registries (127.0.0.0/8, <c>localhost</c>) speak plain HTTP without <c>--insecure</c>; a redirect to plain HTTP on
/// a host that is not loopback is refused before any connection is made.
/// </summary>
public sealed class HostAndSchemeTests : IDisposable
{
    readonly RegistryServer registry = RegistryServer.Shared;
    readonly TestStore store = new();

    public void Dispose() => store.Dispose();

    [Fact]
    public async Task An_unknown_host_fails_fast_with_an_error_naming_the_host()
    {
        // .invalid never resolves (RFC 6761), so no network is needed to see the failure.
        var clock = Stopwatch.StartNew();
        var error = await store.FailAsync("nonexistent.invalid/x:1");
        clock.Stop();

        Assert.Contains("unknown host nonexistent.invalid", error.Message);
        Assert.StartsWith("nonexistent.invalid/x:1", error.Message);
        Assert.DoesNotContain("attempts", error.Message); // not retried: a name that does not resolve will not start to
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Empty(store.VisibleBlobs);
    }

    [Fact]
    public async Task A_registry_named_localhost_is_loopback_and_pulled_over_plain_http()
    {
        var repository = TestImages.Repository("localhost");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1");
        var port = registry.Address[(registry.Address.LastIndexOf(':') + 1)..];

        var fetched = await store.FetchAsync($"localhost:{port}/{repository}:v1");

        Assert.Equal(image.ManifestDigest, fetched.ManifestDigest);
        Assert.All(image.LayerDigests, d => Assert.True(store.Blobs.Contains(d), d));
    }

    [Fact]
    public async Task A_redirect_to_plain_http_on_a_host_that_is_not_loopback_is_refused_without_insecure()
    {
        var repository = TestImages.Repository("scheme");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1");
        using var proxy = new FaultProxy(registry.Address);
        proxy.Faults = r => r.Method == "GET" && r.Path.Contains("/blobs/sha256:", StringComparison.Ordinal)
            ? new Fault.Respond(307, new Dictionary<string, string> { ["Location"] = "http://cdn.nonexistent.invalid/blob?sig=secret" })
            : null;

        var error = await store.FailAsync($"{proxy.Address}/{repository}:v1");

        Assert.Contains("refusing to follow http://cdn.nonexistent.invalid/blob", error.Message);
        Assert.Contains("--insecure", error.Message);
        Assert.DoesNotContain("sig=secret", error.Message); // a pre-signed URL's query is never printed
        Assert.False(store.Blobs.Contains(image.ConfigDigest));
    }
}
