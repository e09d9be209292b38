using ImageCache.Core;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>
/// Origin-behaviour §3.14 and §7.1 (TestPathInRootfsStoreRejectsSymlinkedParent): a path is in the store only when
/// its parent, symlinks resolved, lies below the resolved store; purge never deletes through a symlink.
/// </summary>
public sealed class StoreSymlinkTests : IDisposable
{
    readonly StorageSandbox sandbox = new();
    readonly string outsideDir;
    readonly string victim;
    readonly string throughLink;

    public StoreSymlinkTests()
    {
        outsideDir = Path.Combine(sandbox.Root, "outside");
        victim = sandbox.WriteFile(Path.Combine(outsideDir, "victim.ext4"));
        Directory.CreateDirectory(sandbox.Layout.RootfsDir);
        Directory.CreateSymbolicLink(Path.Combine(sandbox.Layout.RootfsDir, "link"), outsideDir);
        throughLink = Path.Combine(sandbox.Layout.RootfsDir, "link", "victim.ext4");
        Assert.True(File.Exists(throughLink), "the symlinked store subdirectory was not set up");
    }

    public void Dispose() => sandbox.Dispose();

    ImageRecord Victim => StorageSandbox.Record("victim", StorageSandbox.Sha('v'), throughLink);

    [Fact]
    public void A_file_below_a_symlinked_store_subdirectory_is_not_in_the_store()
    {
        Assert.False(StoreProbe.PathInRootfsStore(sandbox.Layout, throughLink));
        Assert.Null(StoreProbe.CanonicalRootfsStorePath(sandbox.Layout, throughLink));
    }

    [Fact]
    public void A_path_that_climbs_out_with_dot_dot_is_not_in_the_store()
    {
        var index = sandbox.WriteFile(Path.Combine(sandbox.Layout.ImagesDir, "escape.ext4"));
        Assert.True(File.Exists(Path.Combine(sandbox.Layout.RootfsDir, "..", "escape.ext4")));

        Assert.False(StoreProbe.PathInRootfsStore(sandbox.Layout, Path.Combine(sandbox.Layout.RootfsDir, "..", "escape.ext4")));
        Assert.False(StoreProbe.PathInRootfsStore(sandbox.Layout, sandbox.Layout.RootfsDir + "/sub/../../escape.ext4"));
        Assert.False(StoreProbe.PathInRootfsStore(sandbox.Layout, Path.Combine(sandbox.Layout.RootfsDir, "link", "..", "..", "..", "outside", "victim.ext4")));
        Assert.False(StoreProbe.PathInRootfsStore(sandbox.Layout, sandbox.Layout.RootfsDir), "the store itself is not a file in it");
        Assert.True(File.Exists(index));
    }

    [Fact]
    public void Plain_and_nested_files_of_the_store_are_in_it()
    {
        var plain = sandbox.StoreFile("plain.ext4");
        var nested = sandbox.StoreFile(Path.Combine("sub", "dir", "nested.ext4"));

        Assert.Equal(plain, StoreProbe.CanonicalRootfsStorePath(sandbox.Layout, plain));
        Assert.True(StoreProbe.PathInRootfsStore(sandbox.Layout, nested));
        Assert.True(StoreProbe.PathInRootfsStore(sandbox.Layout, Path.Combine(sandbox.Layout.RootfsDir, "sub", "..", "plain.ext4")));
    }

    [Fact]
    public void A_symlinked_store_directory_is_allowed_because_both_sides_are_resolved()
    {
        // state2/images/rootfs -> state/images/rootfs
        var other = StateLayout.For(Path.Combine(sandbox.Root, "state2"));
        Directory.CreateDirectory(other.ImagesDir);
        Directory.CreateSymbolicLink(other.RootfsDir, sandbox.Layout.RootfsDir);
        var file = sandbox.StoreFile("shared.ext4");

        Assert.True(StoreProbe.PathInRootfsStore(other, Path.Combine(other.RootfsDir, "shared.ext4")));
        Assert.True(StoreProbe.PathInRootfsStore(other, file));
    }

    [Fact]
    public async Task Remove_with_purge_never_deletes_a_file_through_a_symlinked_subdirectory()
    {
        sandbox.WriteIndex(Victim);

        var result = await sandbox.Client().RemoveAsync("victim", purge: true);

        Assert.Equal(new[] { "victim" }, StorageSandbox.Refs(result.Removed));
        Assert.True(result.Deleted.IsEmpty);
        Assert.True(File.Exists(victim), "the file outside the store was deleted");
        Assert.True(sandbox.Store.Read().Images.IsEmpty);
    }

    [Fact]
    public async Task Prune_with_purge_never_deletes_a_file_through_a_symlinked_subdirectory()
    {
        sandbox.WriteIndex(Victim);

        var result = await sandbox.Client().PruneAsync(purge: true, RetentionPolicy.None);

        // The file exists and lies outside the store, so the original keeps the record (§3.7) and never deletes it.
        Assert.True(result.Deleted.IsEmpty);
        Assert.Equal(new[] { "victim" }, StorageSandbox.Refs(result.Kept));
        Assert.True(result.OrphansDeleted.IsEmpty);
        Assert.True(File.Exists(victim), "the file outside the store was deleted");
    }

    [Fact]
    public async Task Prune_with_purge_does_not_collect_files_behind_a_symlink_as_orphans()
    {
        var orphan = sandbox.StoreFile("orphan.ext4");
        sandbox.WriteIndex();

        var result = await sandbox.Client().PruneAsync(purge: true, RetentionPolicy.None);

        Assert.Equal(new[] { orphan }, result.OrphansDeleted.ToArray());
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(victim), "a file behind the symlinked subdirectory was collected as an orphan");
        Assert.True(Directory.Exists(Path.Combine(sandbox.Layout.RootfsDir, "link")));
    }

    [Fact]
    public async Task Purging_a_record_whose_store_file_is_a_symlink_removes_the_link_and_never_its_target()
    {
        var link = Path.Combine(sandbox.Layout.RootfsDir, "evil.ext4");
        File.CreateSymbolicLink(link, victim);
        sandbox.WriteIndex(StorageSandbox.Record("evil", StorageSandbox.Sha('e'), link));

        var result = await sandbox.Client().RemoveAsync("evil", purge: true);

        Assert.Equal(new[] { "evil" }, StorageSandbox.Refs(result.Deleted));
        Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget is not null, "the link is still there");
        Assert.True(File.Exists(victim), "the link's target outside the store was deleted");
    }

    [Fact]
    public void Deleting_a_store_file_refuses_a_path_that_no_longer_resolves_inside_the_store()
    {
        var e = Assert.Throws<ImageCacheException>(() => StoreProbe.DeleteStoreFile(sandbox.Layout, throughLink));

        Assert.Contains("no longer inside the store", e.Message);
        Assert.True(File.Exists(victim));
    }
}
