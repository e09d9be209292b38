using ImageCache.Core;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>DESIGN §3 and origin-behaviour §3.13: atomic writes, modes, the backup, and failures that change nothing.</summary>
public sealed class IndexStoreTests : IDisposable
{
    const UnixFileMode Mode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    readonly StorageSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    static ImageRecord Busybox(string path = "/nowhere/images/rootfs/b.ext4") => StorageSandbox.Record("busybox", StorageSandbox.Sha('b'), path);

    [Fact]
    public void Writing_a_fresh_index_creates_directories_0700_and_the_index_0600()
    {
        sandbox.WriteIndex(Busybox());

        Assert.Equal(Mode700, File.GetUnixFileMode(sandbox.State));
        Assert.Equal(Mode700, File.GetUnixFileMode(sandbox.Layout.ImagesDir));
        Assert.Equal(Mode700, File.GetUnixFileMode(sandbox.Layout.RootfsDir));
        Assert.Equal(Mode600, File.GetUnixFileMode(sandbox.Layout.IndexFile));
    }

    [Fact]
    public void A_write_leaves_no_temp_file_and_keeps_the_previous_index_as_the_backup()
    {
        sandbox.WriteIndex(Busybox());
        var first = File.ReadAllBytes(sandbox.Layout.IndexFile);
        Assert.False(File.Exists(sandbox.Layout.IndexBackupFile), "a first write has nothing to back up");

        sandbox.WriteIndex(Busybox(), StorageSandbox.Record("alpine", StorageSandbox.Sha('a'), "/nowhere/a.ext4"));

        Assert.Equal(first, File.ReadAllBytes(sandbox.Layout.IndexBackupFile));
        Assert.Equal(2, sandbox.Store.Read().Images.Count);
        Assert.Equal(Mode600, File.GetUnixFileMode(sandbox.Layout.IndexFile));
        Assert.DoesNotContain(sandbox.ImagesDirEntries(), name => name.StartsWith(".index.json.tmp-", StringComparison.Ordinal));
        Assert.Equal(new[] { "index.json", "index.json.bak", "rootfs" }, sandbox.ImagesDirEntries());
    }

    [Fact]
    public async Task A_corrupt_index_is_an_error_naming_the_file_and_the_backup_and_a_failing_operation_changes_nothing()
    {
        sandbox.WriteIndex(Busybox());
        sandbox.WriteIndex(Busybox(), StorageSandbox.Record("alpine", StorageSandbox.Sha('a'), "/nowhere/a.ext4"));
        File.WriteAllText(sandbox.Layout.IndexFile, "{\"images\": [ {\"image_ref\": \"busybox\", ");
        var indexBefore = File.ReadAllBytes(sandbox.Layout.IndexFile);
        var backupBefore = File.ReadAllBytes(sandbox.Layout.IndexBackupFile);

        var read = Assert.Throws<ImageCacheException>(() => sandbox.Store.Read());
        Assert.Equal(HostErrorCodes.IndexCorrupt, read.Code);
        Assert.Contains(sandbox.Layout.IndexFile, read.Message);
        Assert.Contains(sandbox.Layout.IndexBackupFile, read.Message);
        Assert.DoesNotContain('\n', read.Message);

        var client = sandbox.Client();
        var tag = await Assert.ThrowsAsync<ImageCacheException>(() => client.TagAsync("busybox", "local/busybox:tagged"));
        Assert.Equal(HostErrorCodes.IndexCorrupt, tag.Code);
        await Assert.ThrowsAsync<ImageCacheException>(() => client.RemoveAsync("busybox", purge: true));
        await Assert.ThrowsAsync<ImageCacheException>(() => client.PruneAsync(purge: true, RetentionPolicy.None));
        await Assert.ThrowsAsync<ImageCacheException>(() => client.ListAsync());

        Assert.Equal(indexBefore, File.ReadAllBytes(sandbox.Layout.IndexFile));
        Assert.Equal(backupBefore, File.ReadAllBytes(sandbox.Layout.IndexBackupFile));
        // The lock file is the only thing a failed operation may add.
        Assert.Equal(new[] { "index.json", "index.json.bak", "index.json.lock", "rootfs" }, sandbox.ImagesDirEntries());
    }

    [Fact]
    public void A_corrupt_index_without_a_backup_is_still_an_error_naming_the_file()
    {
        sandbox.WriteRawIndex("{\"images\": {}}");

        var e = Assert.Throws<ImageCacheException>(() => sandbox.Store.Read());

        Assert.Equal(HostErrorCodes.IndexCorrupt, e.Code);
        Assert.Contains(sandbox.Layout.IndexFile, e.Message);
        Assert.DoesNotContain(".bak", e.Message);
    }

    [Fact]
    public async Task A_state_directory_that_cannot_be_created_is_a_one_line_error_and_nothing_is_written()
    {
        // A path below a regular file cannot be created even by root (mode bits would not stop root).
        var blocker = sandbox.WriteFile("file", "not a directory"u8.ToArray());
        var state = Path.Combine(blocker, "state");
        var layout = StateLayout.For(state);
        var store = new IndexStore(layout);

        var write = Assert.Throws<ImageCacheException>(() => store.Write(new ImageIndex(LanguageExt.Seq.create(Busybox()))));
        Assert.Equal(HostErrorCodes.StateNotWritable, write.Code);
        Assert.Contains(state, write.Message);
        Assert.DoesNotContain('\n', write.Message);

        var client = new Operations.ImageCacheClient(new Operations.ImageCacheOptions { StateDir = state });
        var tag = await Assert.ThrowsAsync<ImageCacheException>(() => client.TagAsync("busybox", "local/busybox:x"));
        Assert.Equal(HostErrorCodes.StateNotWritable, tag.Code);
        Assert.DoesNotContain('\n', tag.Message);
        var prune = await Assert.ThrowsAsync<ImageCacheException>(() => client.PruneAsync(purge: false, RetentionPolicy.None));
        Assert.Equal(HostErrorCodes.StateNotWritable, prune.Code);

        Assert.Equal("not a directory", File.ReadAllText(blocker));
    }

    [Fact]
    public async Task An_operation_that_changes_nothing_does_not_rewrite_the_index()
    {
        sandbox.WriteIndex(Busybox(sandbox.StoreFile("b.ext4")));
        var before = File.ReadAllBytes(sandbox.Layout.IndexFile);
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(sandbox.Layout.IndexFile, stamp);

        var result = await sandbox.Client().PruneAsync(purge: false, RetentionPolicy.None);

        Assert.Single(result.Kept);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(sandbox.Layout.IndexFile));
        Assert.Equal(before, File.ReadAllBytes(sandbox.Layout.IndexFile));
        Assert.False(File.Exists(sandbox.Layout.IndexBackupFile), "an unchanged index was rewritten");
    }

    [Fact]
    public async Task A_temp_file_left_by_a_killed_writer_is_removed_by_the_next_write()
    {
        sandbox.WriteIndex(Busybox(sandbox.StoreFile("b.ext4")));
        var stale = Path.Combine(sandbox.Layout.ImagesDir, ".index.json.tmp-999999-deadbeef");
        File.WriteAllText(stale, "{\"images\": [");

        await sandbox.Client().TagAsync("busybox", "local/busybox:after-crash");

        Assert.False(File.Exists(stale), "the stale temp file is still there");
        Assert.Equal(2, (await sandbox.Client().ListAsync()).Count);
    }
}
