using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Fetchers.Registry;

namespace ImageCache.Registry.Tests;

/// <summary>The Bearer token flow against a real registry configured for token auth, with a token service the test serves.</summary>
public sealed class TokenAuthTests : IDisposable
{
    readonly TestStore store = new();
    readonly List<IDisposable> started = [];

    public void Dispose()
    {
        foreach (var item in Enumerable.Reverse(started)) item.Dispose();
        store.Dispose();
    }

    async Task<(RegistryServer Registry, TokenServer Tokens, string Reference, PushedImage Image)> StartAsync((string, string)? requiredCredential = null)
    {
        var tokens = new TokenServer(requiredCredential);
        started.Add(tokens);
        var registry = await RegistryServer.StartAsync(tokens.RegistryConfig(store.Root));
        started.Add(registry);
        var repository = TestImages.Repository("token");
        var pusher = new ImagePusher(registry.Address, new AuthenticationHeaderValue("Bearer", tokens.Mint(repository, "pull", "push")));
        var image = await TestImages.PushImageAsync(pusher, repository, "v1");
        return (registry, tokens, $"{registry.Address}/{repository}:v1", image);
    }

    [Fact]
    public async Task An_anonymous_token_is_fetched_once_and_reused_until_it_expires()
    {
        var (_, tokens, reference, image) = await StartAsync();
        using var fetcher = new RegistryFetcher(store.Options);

        var first = await store.FetchAsync(reference, fetcher: fetcher);
        var second = await store.FetchAsync(reference, fetcher: fetcher);

        Assert.Equal(image.ManifestDigest, first.ManifestDigest);
        Assert.Equal(image.ManifestDigest, second.ManifestDigest);
        Assert.Equal(1, tokens.Requests);
        Assert.All(image.LayerDigests, d => Assert.True(store.Blobs.Contains(d)));
    }

    [Fact]
    public async Task Credentials_are_sent_to_the_token_service_and_their_absence_is_reported()
    {
        var (registry, tokens, reference, image) = await StartAsync(("bob", "token-Pa55"));

        var error = await store.FailAsync(reference);
        Assert.StartsWith("authentication required for", error.Message);
        Assert.Contains("looked in:", error.Message);

        var file = Path.Combine(store.Root, "auth.json");
        File.WriteAllText(file, new JsonObject
        {
            ["auths"] = new JsonObject { [registry.Address] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:token-Pa55")) } },
        }.ToJsonString());
        store.Environment["REGISTRY_AUTH_FILE"] = file;
        var fetched = await store.FetchAsync(reference);

        Assert.Equal(image.ManifestDigest, fetched.ManifestDigest);
        Assert.Contains(true, tokens.SawCredentials);
    }

    [Fact]
    public async Task A_token_the_registry_rejects_later_is_re_challenged_once_and_the_pull_succeeds()
    {
        var (registry, tokens, reference, image) = await StartAsync();
        var proxy = new FaultProxy(registry.Address);
        started.Add(proxy);
        var repository = reference[(registry.Address.Length + 1)..reference.LastIndexOf(':')];
        // The first blob request carrying a token is answered as the registry answers a revoked or expired token.
        var rejected = 0;
        proxy.Faults = r => r.HasAuthorization && r.Path.Contains("/blobs/", StringComparison.Ordinal) && Interlocked.Exchange(ref rejected, 1) == 0
            ? new Fault.Respond(401, new Dictionary<string, string>
            {
                ["WWW-Authenticate"] = $"Bearer realm=\"{tokens.Realm}\",service=\"{TokenServer.Service}\",scope=\"repository:{repository}:pull\",error=\"invalid_token\"",
            }, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""")
            : null;
        using var fetcher = new RegistryFetcher(store.Options);

        var fetched = await store.FetchAsync($"{proxy.Address}/{repository}:v1", fetcher: fetcher);

        Assert.Equal(image.ManifestDigest, fetched.ManifestDigest);
        Assert.All(image.LayerDigests, d => Assert.True(store.Blobs.Contains(d), d));
        Assert.Equal(1, rejected);
        Assert.Equal(2, tokens.Requests); // the first challenge, and the one re-challenge after the rejection
    }

    [Fact]
    public async Task A_token_rejected_again_after_the_re_challenge_fails_the_pull_without_looping()
    {
        var (registry, tokens, reference, image) = await StartAsync();
        var proxy = new FaultProxy(registry.Address);
        started.Add(proxy);
        var repository = reference[(registry.Address.Length + 1)..reference.LastIndexOf(':')];
        proxy.Faults = r => r.HasAuthorization && r.Path.Contains("/blobs/", StringComparison.Ordinal)
            ? new Fault.Respond(401, new Dictionary<string, string>
            {
                ["WWW-Authenticate"] = $"Bearer realm=\"{tokens.Realm}\",service=\"{TokenServer.Service}\",scope=\"repository:{repository}:pull\"",
            })
            : null;

        var error = await store.FailAsync($"{proxy.Address}/{repository}:v1");

        Assert.StartsWith("authentication required for", error.Message);
        Assert.Contains(image.ConfigDigest, error.Message);
        Assert.Equal(2, tokens.Requests);
        Assert.DoesNotContain(image.LayerDigests, store.Blobs.Contains);
    }

    [Fact]
    public async Task A_token_service_whose_clock_runs_behind_still_gives_a_token_that_is_used_and_cached()
    {
        var (_, tokens, reference, image) = await StartAsync();
        // issued_at ten minutes ago with expires_in 300: by that clock the token expired before it arrived.
        tokens.ClockBehind = TimeSpan.FromMinutes(10);
        using var fetcher = new RegistryFetcher(store.Options);

        var first = await store.FetchAsync(reference, fetcher: fetcher);
        var second = await store.FetchAsync(reference, fetcher: fetcher);

        Assert.Equal(image.ManifestDigest, first.ManifestDigest);
        Assert.Equal(image.ManifestDigest, second.ManifestDigest);
        Assert.All(image.LayerDigests, d => Assert.True(store.Blobs.Contains(d), d));
        Assert.Equal(1, tokens.Requests);
    }
}
