using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Registry.Tests;

/// <summary>
/// The htpasswd registry, configured to accept manifests whose layers have <c>urls</c> on 127.0.0.1 (distribution 2.7+
/// refuses every layer URL unless <c>validation.manifests.urls.allow</c> matches it).
/// </summary>
public sealed class ForeignUrlRegistry : BasicAuthRegistry
{
    protected override string ExtraConfig => """
        validation:
          manifests:
            urls:
              allow:
                - ^http://127\.0\.0\.1:[0-9]+/
        """;
}

/// <summary>
/// Foreign layers (oci-rules §3.4): a layer descriptor with <c>urls</c> whose blob the registry does not hold (a real
/// htpasswd docker-registry accepts such a manifest), served by a blob server on 127.0.0.1. The pull takes the blob
/// from the URL, verifies its digest, and never sends the registry's credential there.
/// </summary>
public sealed class ForeignLayerTests(ForeignUrlRegistry registry) : IClassFixture<ForeignUrlRegistry>, IDisposable
{
    const string LayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>distribution 2.8 skips the presence check only for this (deprecated) type when <c>urls</c> are given.</summary>
    const string ForeignLayerType = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

    readonly TestStore store = new();
    readonly BlobServer foreign = new();

    public void Dispose()
    {
        foreign.Dispose();
        store.Dispose();
    }

    static AuthenticationHeaderValue Basic => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicAuthRegistry.User}:{BasicAuthRegistry.Password}")));

    void UseCredentials()
    {
        var file = Path.Combine(store.Root, "auth.json");
        File.WriteAllText(file, new JsonObject
        {
            ["auths"] = new JsonObject { [registry.Server.Address] = new JsonObject { ["auth"] = Basic.Parameter } },
        }.ToJsonString());
        store.Environment["REGISTRY_AUTH_FILE"] = file;
    }

    /// <summary>
    /// Pushes an image of two gzip layers: the first pushed to the registry, the second only described, with
    /// <c>urls</c> pointing at the blob server. Returns the reference, the foreign layer's digest and its bytes.
    /// </summary>
    async Task<(string Reference, string ManifestDigest, string ForeignDigest, byte[] ForeignBlob)> PushForeignImageAsync()
    {
        var repository = TestImages.Repository("foreign");
        var pusher = new ImagePusher(registry.Server.Address, Basic);
        var tars = new[]
        {
            TestImages.Tar(("base/", ""), ("base/file", $"{repository} base\n")),
            TestImages.Tar(("foreign/", ""), ("foreign/file", $"{repository} foreign layer\n")),
        };
        var blobs = tars.Select(t => TestImages.Compress(t, LayerCompression.Gzip)).ToArray();
        var baseDigest = await pusher.PushBlobAsync(repository, blobs[0]);
        var foreignDigest = ImagePusher.Sha256(blobs[1]);
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(ImagePusher.Sha256(tars[0]), ImagePusher.Sha256(tars[1])) },
        }.ToJsonString());
        var configDigest = await pusher.PushBlobAsync(repository, config);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = TestImages.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(
                new JsonObject { ["mediaType"] = LayerType, ["digest"] = baseDigest, ["size"] = blobs[0].Length },
                new JsonObject
                {
                    ["mediaType"] = ForeignLayerType, ["digest"] = foreignDigest, ["size"] = blobs[1].Length,
                    ["urls"] = new JsonArray(foreign.Url($"/layers/{foreignDigest}")),
                }),
        }.ToJsonString());
        var manifestDigest = await pusher.PushManifestAsync(repository, "v1", manifest, TestImages.OciManifest);

        // The registry really lacks the foreign blob: whatever the pull gets, it got from the URL.
        using var http = new HttpClient();
        using var head = new HttpRequestMessage(HttpMethod.Head, $"http://{registry.Server.Address}/v2/{repository}/blobs/{foreignDigest}");
        head.Headers.Authorization = Basic;
        using var answer = await http.SendAsync(head);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        return ($"{registry.Server.Address}/{repository}:v1", manifestDigest, foreignDigest, blobs[1]);
    }

    [Fact]
    public async Task A_foreign_layer_is_fetched_from_its_url_verified_and_gets_no_registry_credential()
    {
        var (reference, manifestDigest, foreignDigest, blob) = await PushForeignImageAsync();
        foreign.Files[$"/layers/{foreignDigest}"] = blob;
        UseCredentials();

        var fetched = await store.FetchAsync(reference);

        Assert.Equal(manifestDigest, fetched.ManifestDigest);
        Assert.Equal(foreignDigest, fetched.Layers[1].Digest);
        Assert.True(store.Blobs.Contains(foreignDigest));
        await using (var stored = store.Blobs.OpenRead(foreignDigest))
        {
            var copy = new MemoryStream();
            await stored.CopyToAsync(copy);
            Assert.Equal(blob, copy.ToArray());
        }
        var requests = foreign.Requests.ToList();
        Assert.Single(requests);
        Assert.Equal($"/layers/{foreignDigest}", requests[0].Path);
        Assert.Null(requests[0].Authorization);
    }

    [Fact]
    public async Task A_wrong_blob_at_the_foreign_url_is_a_digest_mismatch_and_nothing_is_stored()
    {
        var (reference, _, foreignDigest, blob) = await PushForeignImageAsync();
        var wrong = (byte[])blob.Clone();
        wrong[^5] ^= 0xFF;
        foreign.Files[$"/layers/{foreignDigest}"] = wrong;
        UseCredentials();

        var error = await store.FailAsync(reference);

        Assert.Contains("digest mismatch", error.Message);
        Assert.Contains(foreignDigest, error.Message);
        Assert.Contains(ImagePusher.Sha256(wrong), error.Message);
        Assert.False(store.Blobs.Contains(foreignDigest));
        Assert.DoesNotContain(foreignDigest, store.VisibleBlobs);
        Assert.All(foreign.Requests, r => Assert.Null(r.Authorization));
        Assert.DoesNotContain(BasicAuthRegistry.Password, error.Message);
    }
}
