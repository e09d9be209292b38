using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Host.Tests.Blobs;

public sealed class BlobCollectorTests : IDisposable
{
    readonly BlobSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Collect_deletes_exactly_the_unreferenced_blobs()
    {
        var tagged = await TestImage.WriteAsync(sandbox.Store, "tagged\n");
        var nested = await TestImage.WriteAsync(sandbox.Store, "reached through a nested index\n");
        var orphan = await TestImage.WriteAsync(sandbox.Store, "orphan\n");
        var stray = await sandbox.PutAsync(Encoding.UTF8.GetBytes("stray blob"));

        // index.json → image index → nested image index → manifest → config + layer
        var inner = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = TestImage.ManifestType, ["digest"] = nested.ManifestDigest, ["size"] = nested.ManifestSize,
            }),
        }.ToJsonString());
        var innerDigest = await sandbox.PutAsync(inner);
        var outer = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.index.v1+json", ["digest"] = innerDigest, ["size"] = inner.Length,
            }),
        }.ToJsonString());
        var outerDigest = await sandbox.PutAsync(outer);

        await sandbox.Index.AddManifestAsync(tagged.Descriptor, "tagged:1", CancellationToken.None);
        await sandbox.Index.AddManifestAsync(new OciDescriptor("application/vnd.oci.image.index.v1+json", outerDigest, outer.Length), "multi:1", CancellationToken.None);

        var referenced = await BlobCollector.ReferencedDigestsAsync(sandbox.Store, sandbox.Index, CancellationToken.None);
        Assert.Equal(
            new[] { tagged.ManifestDigest, tagged.ConfigDigest, tagged.LayerDigest, outerDigest, innerDigest, nested.ManifestDigest, nested.ConfigDigest, nested.LayerDigest }.Order(StringComparer.Ordinal),
            referenced.Order(StringComparer.Ordinal));

        var now = DateTimeOffset.UtcNow;
        Directory.CreateDirectory(sandbox.Store.IngestDir);
        var staleTemp = Path.Combine(sandbox.Store.IngestDir, "1-stale.partial");
        var freshTemp = Path.Combine(sandbox.Store.IngestDir, "2-fresh.partial");
        File.WriteAllBytes(staleTemp, new byte[100]);
        File.SetLastWriteTimeUtc(staleTemp, now.UtcDateTime.AddHours(-2));
        File.WriteAllBytes(freshTemp, new byte[50]);
        // the blobs are fresh too: make them old enough for the grace period
        foreach (var file in sandbox.BlobFiles()) File.SetLastWriteTimeUtc(file, now.UtcDateTime.AddHours(-2));

        var expectedDeleted = new[] { orphan.ManifestDigest, orphan.ConfigDigest, orphan.LayerDigest, stray }.Order(StringComparer.Ordinal).ToArray();
        var expectedBytes = expectedDeleted.Sum(d => sandbox.Store.SizeOf(d)!.Value) + 100;

        var result = new BlobCollector(sandbox.Store).Collect(referenced, now, TimeSpan.FromHours(1));

        Assert.Equal(expectedDeleted, result.DeletedBlobs);
        Assert.Equal([staleTemp], result.DeletedTemps);
        Assert.Equal(expectedBytes, result.BytesFreed);
        Assert.All(referenced, d => Assert.True(sandbox.Store.Contains(d), d));
        Assert.All(expectedDeleted, d => Assert.False(sandbox.Store.Contains(d), d));
        Assert.True(File.Exists(freshTemp));

        var again = new BlobCollector(sandbox.Store).Collect(referenced, now, TimeSpan.FromHours(1));
        Assert.Empty(again.DeletedBlobs);
        Assert.Equal(0, again.BytesFreed);
    }

    [Fact]
    public async Task Grace_period_spares_recent_unreferenced_blobs()
    {
        var digest = await sandbox.PutAsync(Encoding.UTF8.GetBytes("just written by a pull in flight"));
        var result = new BlobCollector(sandbox.Store).Collect(new HashSet<string>(), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));
        Assert.Empty(result.DeletedBlobs);
        Assert.True(sandbox.Store.Contains(digest));

        var now = new BlobCollector(sandbox.Store).Collect(new HashSet<string>(), DateTimeOffset.UtcNow.AddSeconds(1), TimeSpan.Zero);
        Assert.Equal([digest], now.DeletedBlobs);
    }

    [Fact]
    public async Task Referenced_but_missing_blobs_are_listed_without_error()
    {
        var missing = "sha256:" + new string('e', 64);
        await sandbox.Index.AddManifestAsync(new OciDescriptor(TestImage.ManifestType, missing, 10), "gone:1", CancellationToken.None);
        var referenced = await BlobCollector.ReferencedDigestsAsync(sandbox.Store, sandbox.Index, CancellationToken.None);
        Assert.Equal([missing], referenced.ToArray());
    }
}
