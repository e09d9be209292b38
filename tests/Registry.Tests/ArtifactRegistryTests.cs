using System.Security.Cryptography;
using System.Text;
using ImageCache.Contracts;
using ImageCache.Fetchers.Registry;

namespace ImageCache.Registry.Tests;

/// <summary>The push side of the registry plugin (fleet sharing) against the real docker-registry: chunked and monolithic uploads, HEAD skips, downloads verified.</summary>
public sealed class ArtifactRegistryTests
{
    readonly RegistryServer registry = RegistryServer.Shared;

    static ArtifactBlob Blob(byte[] bytes) =>
        new("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, _ => ValueTask.FromResult<Stream>(new MemoryStream(bytes, writable: false)));

    [Fact]
    public async Task A_blob_over_the_chunk_size_goes_up_in_patches_comes_back_identical_and_a_second_push_skips_every_blob()
    {
        var repository = $"{registry.Address}/{TestImages.Repository("artifact")}";
        using var artifacts = new RegistryArtifactRegistry(new RegistryFetcherOptions { UploadChunkBytes = 1000 });
        var big = RandomNumberGenerator.GetBytes(3500); // four PATCH chunks
        var config = "{}"u8.ToArray();
        var (layer, configBlob) = (Blob(big), Blob(config));
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-test","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{configBlob.Digest}}","size":2},"layers":[{"mediaType":"application/octet-stream","digest":"{{layer.Digest}}","size":3500}]}""");

        var first = await artifacts.PushAsync(new ArtifactPush(repository, [configBlob, layer], manifest, "application/vnd.oci.image.manifest.v1+json", ["t1"], false, null), CancellationToken.None);
        Assert.Equal((2, 0, ""), (first.BlobsUploaded, first.BlobsSkipped, first.SubjectLink));
        var again = await artifacts.PushAsync(new ArtifactPush(repository, [configBlob, layer], manifest, "application/vnd.oci.image.manifest.v1+json", ["t1"], false, null), CancellationToken.None);
        Assert.Equal((0, 2), (again.BlobsUploaded, again.BlobsSkipped));
        Assert.Equal(first.ManifestDigest, again.ManifestDigest);

        var fetched = await artifacts.GetManifestAsync(repository, "t1", false, CancellationToken.None);
        Assert.NotNull(fetched);
        Assert.Equal(manifest, fetched.Content);
        Assert.Equal(first.ManifestDigest, fetched.Digest);
        var downloaded = new MemoryStream();
        await artifacts.DownloadBlobAsync(repository, layer.Digest, layer.Size, false, downloaded, null, CancellationToken.None);
        Assert.Equal(big, downloaded.ToArray());

        Assert.Null(await artifacts.GetManifestAsync(repository, "missing", false, CancellationToken.None));
        // A blob whose descriptor lies about its digest is refused after the download.
        var wrong = new ArtifactBlob("sha256:" + new string('0', 64), big.Length, layer.Open);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => artifacts.DownloadBlobAsync(repository, wrong.Digest, wrong.Size, false, new MemoryStream(), null, CancellationToken.None));
        Assert.Contains("blob", error.Message);
        // A repository given with a tag is refused with a clear message.
        var tagged = await Assert.ThrowsAsync<ImageSourceException>(() => artifacts.GetManifestAsync(repository + ":v1", "t1", false, CancellationToken.None));
        Assert.Contains("give the cache as a repository", tagged.Message);
    }
}
