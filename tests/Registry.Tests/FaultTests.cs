using System.Diagnostics;
using System.Text;
using ImageCache.Fetchers.Registry;

namespace ImageCache.Registry.Tests;

/// <summary>The real registry behind a fault-injecting proxy: rate limits, server errors, cut connections, corrupted bytes.</summary>
public sealed class FaultTests : IDisposable
{
    readonly RegistryServer registry = RegistryServer.Shared;
    readonly TestStore store = new();
    readonly FaultProxy proxy;

    public FaultTests() => proxy = new FaultProxy(registry.Address);

    public void Dispose()
    {
        proxy.Dispose();
        store.Dispose();
    }

    async Task<(string Reference, PushedImage Image)> PushAsync(string hint, int? padLayerBytes = null)
    {
        var repository = TestImages.Repository(hint);
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1", padLayerBytes: padLayerBytes);
        return ($"{proxy.Address}/{repository}:v1", image);
    }

    [Fact]
    public async Task Re_pulling_an_image_whose_blobs_are_stored_downloads_no_blob()
    {
        var (reference, image) = await PushAsync("repull");
        var first = await store.FetchAsync(reference);
        Assert.Equal(3, proxy.BlobRequests.Count()); // config + 2 layers

        proxy.Requests.Clear();
        var second = await store.FetchAsync(reference);

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(image.LayerDigests, second.Layers.Select(l => l.Digest));
        Assert.Empty(proxy.BlobRequests);
        Assert.Single(proxy.Requests, r => r.Path.Contains("/manifests/v1", StringComparison.Ordinal)); // a tag is always re-resolved
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_and_retried()
    {
        var (reference, image) = await PushAsync("ratelimit");
        var refused = 0;
        proxy.Faults = r => r.Path.Contains("/manifests/", StringComparison.Ordinal) && Interlocked.Increment(ref refused) == 1
            ? new Fault.Respond(429, new Dictionary<string, string> { ["Retry-After"] = "1" })
            : null;

        var clock = Stopwatch.StartNew();
        var fetched = await store.FetchAsync(reference);

        Assert.Equal(image.ManifestDigest, fetched.ManifestDigest);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {clock.Elapsed}, before Retry-After: 1");
        Assert.Equal(2, proxy.Requests.Count(r => r.Path.Contains("/manifests/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_lasting_429_fails_with_the_rate_limit_headers()
    {
        var (reference, _) = await PushAsync("ratelimited");
        proxy.Faults = r => r.Path.Contains("/manifests/", StringComparison.Ordinal)
            ? new Fault.Respond(429, new Dictionary<string, string>
            {
                ["ratelimit-limit"] = "100;w=21600", ["ratelimit-remaining"] = "0;w=21600", ["docker-ratelimit-source"] = "203.0.113.7",
            }, """{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}""")
            : null;

        var error = await store.FailAsync(reference);

        Assert.Contains("rate limited by " + proxy.Address, error.Message);
        Assert.Contains("TOOMANYREQUESTS", error.Message);
        Assert.Contains("ratelimit-limit: 100;w=21600, ratelimit-remaining: 0;w=21600, docker-ratelimit-source: 203.0.113.7", error.Message);
        Assert.Equal(store.Options.MaxAttempts, proxy.Requests.Count);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff()
    {
        var (reference, image) = await PushAsync("fivehundred");
        var failures = 0;
        proxy.Faults = r => r.Path.Contains("/blobs/", StringComparison.Ordinal) && Interlocked.Increment(ref failures) <= 2
            ? new Fault.Respond(r.Number % 2 == 0 ? 500 : 503)
            : null;

        var fetched = await store.FetchAsync(reference);

        Assert.Equal(image.LayerDigests, fetched.Layers.Select(l => l.Digest));
        Assert.True(failures > 2);
        Assert.All(image.LayerDigests, d => Assert.True(store.Blobs.Contains(d)));
    }

    [Fact]
    public async Task A_download_cut_mid_blob_resumes_with_a_Range_request()
    {
        var (reference, image) = await PushAsync("resume", padLayerBytes: 300_000);
        var big = image.LayerDigests[0];
        var cut = 0;
        proxy.Faults = r => r.Path.EndsWith(big, StringComparison.Ordinal) && r.Range is null && Interlocked.Increment(ref cut) == 1
            ? new Fault.CutAfter(1000)
            : null;

        var fetched = await store.FetchAsync(reference);

        Assert.Equal(image.LayerDigests, fetched.Layers.Select(l => l.Digest));
        Assert.True(store.Blobs.Contains(big));
        var requests = proxy.BlobRequests.Where(r => r.Path.EndsWith(big, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.Equal("bytes=1000-", requests[1].Range);
    }

    [Fact]
    public async Task A_connection_cut_in_the_body_of_the_manifest_or_config_is_retried()
    {
        var (reference, image) = await PushAsync("docbody");
        var manifestCuts = 0;
        var configCuts = 0;
        proxy.Faults = r =>
            r.Path.Contains("/manifests/", StringComparison.Ordinal) && Interlocked.Increment(ref manifestCuts) == 1 ? new Fault.CutAfter(10)
            : r.Path.EndsWith(image.ConfigDigest, StringComparison.Ordinal) && Interlocked.Increment(ref configCuts) == 1 ? new Fault.CutAfter(10)
            : null;

        var fetched = await store.FetchAsync(reference);

        Assert.Equal(image.ManifestDigest, fetched.ManifestDigest);
        Assert.Equal(2, proxy.Requests.Count(r => r.Path.Contains("/manifests/", StringComparison.Ordinal)));
        Assert.Equal(2, proxy.Requests.Count(r => r.Path.EndsWith(image.ConfigDigest, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_manifest_body_that_always_breaks_off_fails_naming_the_manifest_and_host()
    {
        var (reference, _) = await PushAsync("docbodyfail");
        proxy.Faults = r => r.Path.Contains("/manifests/", StringComparison.Ordinal) ? new Fault.CutAfter(10) : null;

        var error = await store.FailAsync(reference);

        Assert.Contains($"manifest v1: the connection to {proxy.Address} broke off while reading the response", error.Message);
        Assert.Contains($"(after {store.Options.MaxAttempts} attempts)", error.Message);
        Assert.Empty(store.VisibleBlobs);
    }

    [Fact]
    public async Task A_corrupted_byte_is_a_digest_mismatch_and_nothing_is_stored()
    {
        var (reference, image) = await PushAsync("corrupt");
        var layer = image.LayerDigests[1];
        proxy.Faults = r => r.Path.EndsWith(layer, StringComparison.Ordinal) ? new Fault.CorruptByte(10) : null;

        var error = await store.FailAsync(reference);

        Assert.Contains($"layer 1 ({layer})", error.Message);
        Assert.Contains($"digest mismatch: expected {layer}, got sha256:", error.Message);
        Assert.False(store.Blobs.Contains(layer));
        Assert.DoesNotContain(layer, store.VisibleBlobs);
        Assert.Empty(Directory.Exists(Path.Combine(store.Blobs.LayoutDir, "ingest")) ? Directory.GetFiles(Path.Combine(store.Blobs.LayoutDir, "ingest")) : []);
    }

    [Fact]
    public async Task A_manifest_that_does_not_match_Docker_Content_Digest_or_the_requested_digest_is_refused()
    {
        var (reference, image) = await PushAsync("mdigest");
        var wrong = "sha256:" + new string('b', 64);
        proxy.Faults = r => r.Path.Contains("/manifests/", StringComparison.Ordinal)
            ? new Fault.ReplaceBody(Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[]}"),
                TestImages.OciManifest, wrong)
            : null;

        var byTag = await store.FailAsync(reference);
        Assert.Contains($"digest mismatch: the registry's Docker-Content-Digest says {wrong}, the content is sha256:", byTag.Message);

        var byDigest = await store.FailAsync(reference.Replace(":v1", "@" + image.ManifestDigest, StringComparison.Ordinal));
        Assert.Contains($"digest mismatch: expected {image.ManifestDigest}, got sha256:", byDigest.Message);
        Assert.Empty(store.VisibleBlobs);
    }

    [Fact]
    public async Task Schema_1_and_unknown_manifest_types_are_refused_clearly()
    {
        var (reference, _) = await PushAsync("schema1");
        var schema1 = Encoding.UTF8.GetBytes("""{"schemaVersion":1,"name":"x","tag":"v1","architecture":"amd64","fsLayers":[],"history":[]}""");
        proxy.Faults = r => r.Path.Contains("/manifests/", StringComparison.Ordinal)
            ? new Fault.ReplaceBody(schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws")
            : null;
        Assert.Contains("Docker schema 1 manifest, which is not supported", (await store.FailAsync(reference)).Message);

        var artifact = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}""");
        proxy.Faults = r => r.Path.Contains("/manifests/", StringComparison.Ordinal) ? new Fault.ReplaceBody(artifact, "application/json") : null;
        Assert.Contains("unsupported manifest type application/vnd.example.thing+json", (await store.FailAsync(reference)).Message);
        Assert.Empty(store.VisibleBlobs);
    }

    [Fact]
    public async Task Layers_download_in_parallel_up_to_the_bound()
    {
        var repository = TestImages.Repository("parallel");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1",
            layers: [LayerCompression.Gzip, LayerCompression.Gzip, LayerCompression.Gzip, LayerCompression.Gzip, LayerCompression.Gzip]);
        // Layer requests are held (without holding a thread) until the bound's worth have arrived, and a little longer,
        // so that a client over the bound would show more; the gate also opens on its own after 20 s, so that a client
        // below the bound fails the count instead of hanging. Held requests count until the gate opens.
        const int bound = 3;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        var peak = 0;
        proxy.Faults = r =>
        {
            if (!image.LayerDigests.Any(d => r.Path.EndsWith(d, StringComparison.Ordinal))) return null;
            lock (gate)
            {
                if (gate.Task.IsCompleted) return null;
                peak = Math.Max(peak, ++held);
                if (held == 1) _ = Task.Delay(TimeSpan.FromSeconds(20)).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
                if (held == bound) _ = Task.Delay(300).ContinueWith(_ => gate.TrySetResult(), TaskScheduler.Default);
            }
            return new Fault.Hold(gate.Task);
        };
        using var fetcher = new RegistryFetcher(store.Options with { MaxParallelDownloads = bound });

        var fetched = await store.FetchAsync($"{proxy.Address}/{repository}:v1", fetcher: fetcher);

        Assert.Equal(image.LayerDigests, fetched.Layers.Select(l => l.Digest));
        Assert.Equal(bound, peak);
    }
}
