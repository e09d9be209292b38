using System.Text.Json.Nodes;
using ImageCache.Core;
using ImageCache.Host.Blobs;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Sources.Tests;

/// <summary><c>prune</c>'s blob collection over a real blob store: only what no record reaches goes; kept images stay readable by skopeo.</summary>
public sealed class PruneBlobTests : IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    async Task<(ImageRecord Kept, ImageRecord Dropped)> TwoImagesAsync()
    {
        var layout = sandbox.Sub("layout");
        TestImage.WriteLayout(layout);
        var kept = await sandbox.PullAsync($"oci:{layout}:v1");
        var tree = sandbox.Sub("tree");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllText(Path.Combine(tree, "etc", "only-here"), "dropped image\n");
        var dropped = await sandbox.PullAsync($"rootfs:{tree}");
        return (kept, dropped);
    }

    /// <summary>The manifest, config and layer digests of an image in the store.</summary>
    List<string> BlobsOf(ImageRecord record)
    {
        var store = new OciBlobStore(sandbox.OciDir);
        using var manifest = System.Text.Json.JsonDocument.Parse(store.OpenRead(record.Digest));
        var root = manifest.RootElement;
        return [record.Digest, root.GetProperty("config").GetProperty("digest").GetString()!,
            .. root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }

    List<string> LayoutIndexDigests() =>
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(sandbox.OciDir, "index.json")))!["manifests"]!.AsArray().Select(e => (string)e!["digest"]!)];

    [Fact]
    public async Task Prune_deletes_the_blobs_and_layout_entries_no_record_reaches_and_skopeo_still_reads_the_kept_image()
    {
        var (kept, dropped) = await TwoImagesAsync();
        var store = new OciBlobStore(sandbox.OciDir);
        var junk = await store.PutAsync(new MemoryStream("stray blob"u8.ToArray()), null, null, CancellationToken.None);
        var keptBlobs = BlobsOf(kept);
        var droppedBlobs = BlobsOf(dropped);
        Assert.Empty(keptBlobs.Intersect(droppedBlobs));
        Assert.Equal([kept.Digest, dropped.Digest], LayoutIndexDigests());
        var expectedBytes = droppedBlobs.Append(junk).Sum(d => store.SizeOf(d)!.Value);
        var client = sandbox.Client();
        await client.RemoveAsync(dropped.ImageRef, purge: true);

        var result = await client.PruneAsync(false, RetentionPolicy.None);

        Assert.Equal("", result.Blobs.Skipped);
        Assert.Equal(droppedBlobs.Append(junk).Order(StringComparer.Ordinal), result.Blobs.DeletedBlobs);
        Assert.Equal(new[] { dropped.Digest }, result.Blobs.RemovedRefs); // not a collection literal: it would be an empty Seq (LanguageExt 4)
        Assert.Equal(expectedBytes, result.Blobs.BytesFreed);
        Assert.All(droppedBlobs, d => Assert.False(store.Contains(d), d));
        foreach (var digest in keptBlobs) Assert.True(await store.VerifyAsync(digest, CancellationToken.None), digest);
        Assert.Equal([kept.Digest], LayoutIndexDigests());
        var raw = await Tools.Skopeo("inspect", "--raw", $"oci:{sandbox.OciDir}:{kept.Digest}");
        Assert.Equal(File.ReadAllText(store.BlobPath(kept.Digest)), raw);
        await Tools.RunAsync("umoci", "stat", "--image", $"{sandbox.OciDir}:{kept.Digest}");

        var again = await client.PruneAsync(false, RetentionPolicy.None);
        Assert.Empty(again.Blobs.DeletedBlobs);
        Assert.Equal(0, again.Blobs.BytesFreed);
        Assert.Single(await client.ListAsync());
    }

    [Fact]
    public async Task Prune_collects_no_blob_while_a_pull_holds_the_blobs_lock_and_says_so()
    {
        var (_, dropped) = await TwoImagesAsync();
        var droppedBlobs = BlobsOf(dropped);
        var client = sandbox.Client();
        await client.RemoveAsync(dropped.ImageRef, purge: true);
        var store = new OciBlobStore(sandbox.OciDir);

        using (await FileLock.AcquireSharedAsync(client.Layout.BlobsLockFile, null, CancellationToken.None))
        {
            var during = await client.PruneAsync(false, RetentionPolicy.None);
            Assert.Contains("a pull is in progress", during.Blobs.Skipped, StringComparison.Ordinal);
            Assert.Empty(during.Blobs.DeletedBlobs);
            Assert.All(droppedBlobs, d => Assert.True(store.Contains(d), d));
        }

        var after = await client.PruneAsync(false, RetentionPolicy.None);
        Assert.Equal(droppedBlobs.Order(StringComparer.Ordinal), after.Blobs.DeletedBlobs);
    }
}
