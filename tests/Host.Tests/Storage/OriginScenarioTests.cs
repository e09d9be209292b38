using ImageCache.Core;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>The original's pinned scenarios (origin-behaviour §7.1, §7.2), end to end through the client with real files.</summary>
public sealed class OriginScenarioTests : IDisposable
{
    const string Digest = "sha256:abc";

    readonly StorageSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>Two names of one pulled image sharing one store file.</summary>
    (string File, ImageRecord Pulled, ImageRecord Alias) SharedBaseline()
    {
        var file = sandbox.StoreFile("baseline.ext4");
        var pulled = StorageSandbox.Record("busybox", Digest, file);
        var alias = pulled with { ImageRef = "local/busybox:tagged" };
        sandbox.WriteIndex(pulled, alias);
        return (file, pulled, alias);
    }

    [Fact]
    public async Task Upsert_list_tag_remove_and_prune_follow_the_original()
    {
        // TestUpsertListTagRemoveAndPrune
        var file = sandbox.StoreFile("baseline.ext4");
        var client = sandbox.Client();
        await client.UpsertAsync(StorageSandbox.Record("busybox", Digest, file));
        Assert.Single(await client.ListAsync());

        var tagged = Assert.Single(await client.TagAsync(Digest, "local/busybox:tagged"));
        Assert.Equal("local/busybox:tagged", tagged.ImageRef);
        Assert.Equal(file, tagged.OutputPath);

        var removed = await client.RemoveAsync("local/busybox:tagged", purge: false);
        Assert.Equal((1, 0, 1), (removed.Removed.Count, removed.Deleted.Count, removed.Kept.Count));
        Assert.True(File.Exists(file));

        var pruned = await client.PruneAsync(purge: true, RetentionPolicy.None);
        Assert.Equal((0, 1, 0), (pruned.Removed.Count, pruned.Deleted.Count, pruned.Kept.Count));
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Prune_with_purge_deletes_a_shared_baseline_once_and_counts_both_records_as_deleted()
    {
        // TestImagesPruneDeleteRemovesReusableBaselines
        var (file, _, _) = SharedBaseline();

        var result = await sandbox.Client().PruneAsync(purge: true, RetentionPolicy.None);

        Assert.Equal((0, 2, 0), (result.Removed.Count, result.Deleted.Count, result.Kept.Count));
        Assert.False(File.Exists(file));
        Assert.True(sandbox.Store.Read().Images.IsEmpty);
    }

    [Fact]
    public async Task Prune_with_purge_keeps_a_workspace_rootfs_outside_the_store()
    {
        // TestImagesPruneDeleteKeepsWorkspaceRootfs
        var workspace = sandbox.WriteFile(Path.Combine(sandbox.State, "workspaces", "research", "rootfs.ext4"));
        sandbox.WriteIndex(StorageSandbox.Record("python:3.13-slim", Digest, workspace));

        var result = await sandbox.Client().PruneAsync(purge: true, RetentionPolicy.None);

        Assert.Equal((0, 0, 1), (result.Removed.Count, result.Deleted.Count, result.Kept.Count));
        Assert.True(File.Exists(workspace));
        Assert.Single(sandbox.Store.Read().Images);
    }

    [Fact]
    public async Task A_tag_by_digest_shares_the_baseline_path()
    {
        // TestImagesTagCreatesAlias
        var file = sandbox.StoreFile("baseline.ext4");
        sandbox.WriteIndex(StorageSandbox.Record("busybox", Digest, file));

        await sandbox.Client().TagAsync(Digest, "local/busybox:tagged");

        var records = await sandbox.Client().ListAsync();
        Assert.Equal(new[] { "busybox", "local/busybox:tagged" }, StorageSandbox.Refs(records));
        Assert.All(records, r => Assert.Equal(file, r.OutputPath));
    }

    [Fact]
    public async Task Removing_an_alias_with_purge_keeps_the_baseline_its_source_still_uses()
    {
        // TestImagesRemoveAliasKeepsSharedBaseline
        var (file, _, _) = SharedBaseline();

        var result = await sandbox.Client().RemoveAsync("local/busybox:tagged", purge: true);

        Assert.Equal((1, 0, 1), (result.Removed.Count, result.Deleted.Count, result.Kept.Count));
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task Removing_by_digest_with_purge_deletes_the_shared_baseline_once()
    {
        // TestImagesRemoveDigestDeletesUnsharedBaseline
        var (file, _, _) = SharedBaseline();
        var index = sandbox.Store.Read();
        var planned = Core.Index.Reduce(index, new IndexCommand.Remove(Digest, true, StoreProbe.Gather(sandbox.Layout, index)));
        Assert.Single(planned.Match(r => r.Effects, e => throw new Xunit.Sdk.XunitException(e.Message)));

        var result = await sandbox.Client().RemoveAsync(Digest, purge: true);

        Assert.Equal((0, 2, 0), (result.Removed.Count, result.Deleted.Count, result.Kept.Count));
        Assert.False(File.Exists(file));
        Assert.True(sandbox.Store.Read().Images.IsEmpty);
    }

    [Fact]
    public async Task Prune_without_purge_drops_a_record_whose_file_was_deleted_by_hand()
    {
        // TestImagesListAndPruneUseLocalIndex
        var workspace = sandbox.WriteFile(Path.Combine(sandbox.State, "workspaces", "research", "rootfs.ext4"));
        var kept = sandbox.StoreFile("kept.ext4");
        sandbox.WriteIndex(StorageSandbox.Record("python:3.13-slim", Digest, workspace), StorageSandbox.Record("busybox", StorageSandbox.Sha('b'), kept));
        File.Delete(workspace);

        var result = await sandbox.Client().PruneAsync(purge: false, RetentionPolicy.None);

        Assert.Equal(new[] { "python:3.13-slim" }, StorageSandbox.Refs(result.Removed));
        Assert.True(result.Deleted.IsEmpty);
        Assert.Equal(new[] { "busybox" }, StorageSandbox.Refs(result.Kept));
        Assert.Equal(new[] { "busybox" }, StorageSandbox.Refs(sandbox.Store.Read().Images));
        Assert.True(File.Exists(kept));
    }

    [Fact]
    public async Task Prune_with_purge_deletes_an_orphan_store_file_no_record_references()
    {
        var workspace = sandbox.WriteFile(Path.Combine(sandbox.State, "workspaces", "research", "rootfs.ext4"));
        var orphan = sandbox.StoreFile("0123456789abcdef01234567.ext4");
        sandbox.WriteIndex(StorageSandbox.Record("python:3.13-slim", Digest, workspace));

        var plain = await sandbox.Client().PruneAsync(purge: false, RetentionPolicy.None);
        Assert.True(plain.OrphansDeleted.IsEmpty);
        Assert.True(File.Exists(orphan), "prune without --purge deleted a file");

        var purged = await sandbox.Client().PruneAsync(purge: true, RetentionPolicy.None);

        Assert.Equal(new[] { orphan }, purged.OrphansDeleted.ToArray());
        Assert.False(File.Exists(orphan));
        Assert.Equal(new[] { "python:3.13-slim" }, StorageSandbox.Refs(purged.Kept));
        Assert.True(File.Exists(workspace));
    }

    [Fact]
    public async Task Remove_of_an_unknown_reference_is_not_found_and_writes_nothing()
    {
        var (file, _, _) = SharedBaseline();
        var before = File.ReadAllBytes(sandbox.Layout.IndexFile);

        var e = await Assert.ThrowsAsync<ImageCacheException>(() => sandbox.Client().RemoveAsync("nope", purge: true));

        Assert.Equal(ErrorCodes.ImageNotFound, e.Code);
        Assert.Equal("image \"nope\" not found", e.Message);
        Assert.Equal(before, File.ReadAllBytes(sandbox.Layout.IndexFile));
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task Prune_removes_a_temp_entry_whose_owner_is_gone_and_keeps_one_a_live_scope_holds()
    {
        sandbox.WriteIndex();
        var area = new TempArea(sandbox.Layout);
        using var live = area.Create("pull");
        // A dead process's entry: its owner lock file exists but nobody holds it.
        var dead = Path.Combine(sandbox.Layout.TmpDir, "pull-999999-dead");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, ".owner.lock"), "");
        sandbox.WriteFile(Path.Combine(dead, "partial.ext4"));

        await sandbox.Client().PruneAsync(purge: false, RetentionPolicy.None);

        Assert.False(Directory.Exists(dead), "the dead process's temp entry was not removed");
        Assert.True(Directory.Exists(live.Directory), "a live temp entry was removed");
        live.Dispose();
        Assert.False(Directory.Exists(live.Directory), "disposing a temp scope did not delete its directory");
    }
}
