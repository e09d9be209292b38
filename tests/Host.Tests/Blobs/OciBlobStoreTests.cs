using System.Text;
using ImageCache.Contracts;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Host.Tests.Blobs;

public sealed class OciBlobStoreTests : IDisposable
{
    readonly BlobSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Put_stores_a_verified_read_only_blob_and_creates_the_layout()
    {
        var bytes = Encoding.UTF8.GetBytes("hello blob store");
        var digest = await sandbox.PutAsync(bytes);

        Assert.Equal(BlobSandbox.Sha256(bytes), digest);
        Assert.True(sandbox.Store.Contains(digest));
        await using (var read = sandbox.Store.OpenRead(digest))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
        Assert.True(await sandbox.Store.VerifyAsync(digest, CancellationToken.None));

        var path = sandbox.Store.BlobPath(digest);
        Assert.Equal(Path.Combine(sandbox.LayoutDir, "blobs", "sha256", digest["sha256:".Length..]), path);
        Assert.Equal(OciBlobStore.BlobMode, File.GetUnixFileMode(path));
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", File.ReadAllText(Path.Combine(sandbox.LayoutDir, "oci-layout")).Trim());
        Assert.Contains("\"manifests\":[]", File.ReadAllText(Path.Combine(sandbox.LayoutDir, "index.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sandbox.LayoutDir));
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public void Reads_do_not_create_the_layout()
    {
        var digest = BlobSandbox.Sha256([1, 2, 3]);
        Assert.False(sandbox.Store.Contains(digest));
        Assert.Null(sandbox.Store.SizeOf(digest));
        Assert.Throws<FileNotFoundException>(() => sandbox.Store.OpenRead(digest));
        Assert.False(sandbox.Store.Delete(digest));
        Assert.Empty(sandbox.Index.List());
        Assert.False(Directory.Exists(sandbox.LayoutDir));
    }

    [Fact]
    public async Task Put_without_expected_digest_hashes_with_sha256()
    {
        var bytes = new byte[300_000];
        new Random(7).NextBytes(bytes);
        var digest = await sandbox.Store.PutAsync(new MemoryStream(bytes), null, null, CancellationToken.None);
        Assert.Equal(BlobSandbox.Sha256(bytes), digest);
        Assert.True(await sandbox.Store.VerifyAsync(digest, CancellationToken.None));
    }

    [Fact]
    public async Task Put_of_a_present_blob_is_idempotent_and_does_not_read_the_stream()
    {
        var bytes = Encoding.UTF8.GetBytes("same content");
        var digest = await sandbox.PutAsync(bytes);
        var before = File.ReadAllBytes(sandbox.Store.BlobPath(digest));

        Assert.Equal(digest, await sandbox.Store.PutAsync(new UnreadableStream(), digest, bytes.Length, CancellationToken.None));
        Assert.Equal(digest, await sandbox.Store.PutAsync(new MemoryStream(bytes), null, null, CancellationToken.None));
        Assert.Equal(before, File.ReadAllBytes(sandbox.Store.BlobPath(digest)));
        Assert.Single(sandbox.BlobFiles());
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public async Task Wrong_digest_is_refused_naming_both_digests_and_leaves_nothing()
    {
        var bytes = Encoding.UTF8.GetBytes("actual content");
        var claimed = BlobSandbox.Sha256(Encoding.UTF8.GetBytes("other content"));
        var error = await Assert.ThrowsAsync<ImageSourceException>(() =>
            sandbox.Store.PutAsync(new MemoryStream(bytes), claimed, bytes.Length, CancellationToken.None));

        Assert.Contains(claimed, error.Message);
        Assert.Contains(BlobSandbox.Sha256(bytes), error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(sandbox.Store.Contains(claimed));
        Assert.False(sandbox.Store.Contains(BlobSandbox.Sha256(bytes)));
        Assert.Empty(sandbox.BlobFiles());
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public async Task Too_short_content_is_refused_with_both_sizes()
    {
        var bytes = Encoding.UTF8.GetBytes("short");
        var digest = BlobSandbox.Sha256(bytes);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() =>
            sandbox.Store.PutAsync(new MemoryStream(bytes), digest, bytes.Length + 10, CancellationToken.None));

        Assert.Contains($"expected {bytes.Length + 10} bytes", error.Message);
        Assert.Contains($"got {bytes.Length}", error.Message);
        Assert.Contains(digest, error.Message);
        Assert.Empty(sandbox.BlobFiles());
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public async Task Too_long_content_is_stopped_early()
    {
        var endless = new EndlessStream();
        var digest = BlobSandbox.Sha256(new byte[10]);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() =>
            sandbox.Store.PutAsync(endless, digest, 10_000, CancellationToken.None));

        Assert.Contains("larger than expected", error.Message);
        Assert.Contains("10000", error.Message);
        Assert.True(endless.BytesRead < 10_000 + (1 << 17) + 4096, $"read {endless.BytesRead} bytes");
        Assert.Empty(sandbox.BlobFiles());
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public async Task Malformed_and_unsupported_digests_are_refused_clearly()
    {
        var md5 = await Assert.ThrowsAsync<ImageSourceException>(() =>
            sandbox.Store.PutAsync(new MemoryStream([1]), "md5:d41d8cd98f00b204e9800998ecf8427e", null, CancellationToken.None));
        Assert.Contains("unsupported digest algorithm 'md5'", md5.Message);
        Assert.Throws<ImageSourceException>(() => sandbox.Store.Contains("sha256:../../etc/passwd"));
        Assert.Throws<ImageSourceException>(() => sandbox.Store.Contains("sha256:ABCDEF"));
        Assert.False(Directory.Exists(sandbox.LayoutDir));
    }

    [Fact]
    public async Task Sha512_blobs_are_supported()
    {
        var bytes = Encoding.UTF8.GetBytes("sha512 content");
        var digest = "sha512:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(bytes));
        Assert.Equal(digest, await sandbox.Store.PutAsync(new MemoryStream(bytes), digest, bytes.Length, CancellationToken.None));
        Assert.True(File.Exists(Path.Combine(sandbox.LayoutDir, "blobs", "sha512", digest["sha512:".Length..])));
        Assert.True(await sandbox.Store.VerifyAsync(digest, CancellationToken.None));
    }

    [Fact]
    public async Task Cancellation_leaves_no_temp_file()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            sandbox.Store.PutAsync(new EndlessStream(delayMs: 5), null, null, cts.Token));
        Assert.Empty(sandbox.BlobFiles());
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public async Task Verify_detects_a_corrupted_blob_and_delete_removes_it()
    {
        var bytes = Encoding.UTF8.GetBytes("to be corrupted");
        var digest = await sandbox.PutAsync(bytes);
        var path = sandbox.Store.BlobPath(digest);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, "tampered");

        Assert.False(await sandbox.Store.VerifyAsync(digest, CancellationToken.None));
        Assert.True(sandbox.Store.Delete(digest));
        Assert.False(sandbox.Store.Contains(digest));
        await Assert.ThrowsAsync<FileNotFoundException>(() => sandbox.Store.VerifyAsync(digest, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_blob_end_with_one_valid_blob()
    {
        var bytes = new byte[200_000];
        new Random(11).NextBytes(bytes);
        var digest = BlobSandbox.Sha256(bytes);
        var stores = Enumerable.Range(0, 4).Select(_ => new OciBlobStore(sandbox.LayoutDir)).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            stores[i % stores.Length].PutAsync(new TricklingStream(bytes), i % 2 == 0 ? digest : null, bytes.Length, CancellationToken.None))));

        Assert.All(results, r => Assert.Equal(digest, r));
        Assert.Single(sandbox.BlobFiles());
        Assert.True(await sandbox.Store.VerifyAsync(digest, CancellationToken.None));
        Assert.Empty(sandbox.IngestFiles());
    }

    [Fact]
    public async Task A_second_store_instance_on_the_same_directory_sees_the_blob()
    {
        var bytes = Encoding.UTF8.GetBytes("shared");
        var digest = await sandbox.PutAsync(bytes);
        var other = new OciBlobStore(sandbox.LayoutDir);
        Assert.True(other.Contains(digest));
        Assert.Equal(bytes.Length, other.SizeOf(digest));
        Assert.Equal(digest, await other.PutAsync(new UnreadableStream(), digest, null, CancellationToken.None));
    }
}
