using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace ImageCache.Registry.Tests;

/// <summary>
/// The tests' own minimal push client (distribution-spec push): monolithic blob upload (POST, then PUT with the digest)
/// and manifest PUT. <paramref name="authorization"/> is sent on every request (Basic or a Bearer token the test minted).
/// </summary>
internal sealed class ImagePusher(string address, AuthenticationHeaderValue? authorization = null)
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public async Task<string> PushBlobAsync(string repository, byte[] bytes)
    {
        var digest = Sha256(bytes);
        using var start = await SendAsync(HttpMethod.Post, $"http://{address}/v2/{repository}/blobs/uploads/", null);
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, $"upload start: {start.StatusCode} {await start.Content.ReadAsStringAsync()}");
        var location = start.Headers.Location!;
        var uri = location.IsAbsoluteUri ? location : new Uri(new Uri($"http://{address}/"), location);
        var put = new UriBuilder(uri) { Query = (uri.Query.Length > 1 ? uri.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(digest) }.Uri;
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var done = await SendAsync(HttpMethod.Put, put.ToString(), content);
        Assert.True(done.StatusCode == HttpStatusCode.Created, $"upload of {digest}: {done.StatusCode} {await done.Content.ReadAsStringAsync()}");
        return digest;
    }

    public async Task<string> PushManifestAsync(string repository, string reference, byte[] bytes, string mediaType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await SendAsync(HttpMethod.Put, $"http://{address}/v2/{repository}/manifests/{reference}", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"manifest PUT {repository}:{reference}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return Sha256(bytes);
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string uri, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Authorization = authorization;
        return await Http.SendAsync(request);
    }
}
