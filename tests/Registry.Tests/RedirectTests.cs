using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Registry.Tests;

/// <summary>
/// Blob redirects from a Basic-auth registry (a real htpasswd docker-registry behind the fault proxy, which answers blob
/// GETs with 307): to another host (127.0.0.2, a plain blob server standing in for a CDN) the registry's Authorization
/// is never sent; to the same host it is kept (the client's design: the credential belongs to the registry's authority).
/// </summary>
public sealed class RedirectTests(BasicAuthRegistry registry) : IClassFixture<BasicAuthRegistry>, IDisposable
{
    readonly TestStore store = new();
    readonly List<IDisposable> started = [];

    public void Dispose()
    {
        foreach (var item in Enumerable.Reverse(started)) item.Dispose();
        store.Dispose();
    }

    T Start<T>(T item) where T : IDisposable
    {
        started.Add(item);
        return item;
    }

    void UseCredentialsFor(string address)
    {
        var file = Path.Combine(store.Root, "auth.json");
        File.WriteAllText(file, new JsonObject
        {
            ["auths"] = new JsonObject
            {
                [address] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicAuthRegistry.User}:{BasicAuthRegistry.Password}")) },
            },
        }.ToJsonString());
        store.Environment["REGISTRY_AUTH_FILE"] = file;
    }

    /// <summary>A blob as the registry holds it (read with the test's own Basic credential).</summary>
    async Task<byte[]> RegistryBlobAsync(string digest)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Server.Address}/v2/{registry.Repository}/blobs/{digest}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicAuthRegistry.User}:{BasicAuthRegistry.Password}")));
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"GET blob {digest}: {response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    static string BlobDigest(string path) => path[(path.IndexOf("/blobs/", StringComparison.Ordinal) + "/blobs/".Length)..].Split('?')[0];

    [Fact]
    public async Task A_blob_redirect_to_another_host_carries_no_Authorization_and_the_pull_succeeds()
    {
        var proxy = Start(new FaultProxy(registry.Server.Address));
        var cdn = Start(new BlobServer("127.0.0.2"));
        foreach (var digest in registry.Image.LayerDigests.Append(registry.Image.ConfigDigest))
            cdn.Files[$"/cdn/{digest}"] = await RegistryBlobAsync(digest);
        proxy.Faults = r => r.Method == "GET" && r.Path.Contains("/blobs/sha256:", StringComparison.Ordinal)
            ? new Fault.Respond(307, new Dictionary<string, string> { ["Location"] = cdn.Url($"/cdn/{BlobDigest(r.Path)}?signature=abc") })
            : null;
        UseCredentialsFor(proxy.Address);

        var fetched = await store.FetchAsync($"{proxy.Address}/{registry.Repository}:v1");

        Assert.Equal(registry.Image.ManifestDigest, fetched.ManifestDigest);
        Assert.All(registry.Image.LayerDigests, d => Assert.True(store.Blobs.Contains(d), d));
        // The registry got the credential for every blob request it redirected; the other host never did.
        Assert.NotEmpty(proxy.BlobRequests);
        Assert.All(proxy.BlobRequests, r => Assert.True(r.HasAuthorization, $"blob request {r.Path} without Authorization"));
        var served = cdn.Requests.ToList();
        Assert.Equal(registry.Image.LayerDigests.Count + 1, served.Count);
        Assert.All(served, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task A_blob_redirect_on_the_same_host_keeps_the_Authorization()
    {
        var proxy = Start(new FaultProxy(registry.Server.Address));
        // A relative Location on the proxy itself; the registry ignores the extra query and still demands the credential.
        proxy.Faults = r => r.Method == "GET" && r.Path.Contains("/blobs/sha256:", StringComparison.Ordinal) && !r.Path.Contains("moved=1", StringComparison.Ordinal)
            ? new Fault.Respond(307, new Dictionary<string, string> { ["Location"] = r.Path + "?moved=1" })
            : null;
        UseCredentialsFor(proxy.Address);

        var fetched = await store.FetchAsync($"{proxy.Address}/{registry.Repository}:v1");

        Assert.Equal(registry.Image.ManifestDigest, fetched.ManifestDigest);
        Assert.All(registry.Image.LayerDigests, d => Assert.True(store.Blobs.Contains(d), d));
        var moved = proxy.BlobRequests.Where(r => r.Path.Contains("moved=1", StringComparison.Ordinal)).ToList();
        Assert.Equal(registry.Image.LayerDigests.Count + 1, moved.Count);
        Assert.All(moved, r => Assert.True(r.HasAuthorization, $"redirected request {r.Path} lost its Authorization"));
    }
}
