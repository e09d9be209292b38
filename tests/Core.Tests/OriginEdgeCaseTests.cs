using ImageCache.Core;
using LanguageExt;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary>
/// The original's pinned edge cases (origin-behaviour §7.1–7.2), translated to the pure reducer: the file system
/// arrives as <see cref="StoreFacts"/> and deletions come back as <see cref="IndexEffect.DeleteFile"/> effects.
/// </summary>
public class OriginEdgeCaseTests
{
    const string Baseline1 = StoreDir + "/baseline.ext4";
    const string Workspace = "/state/workspaces/research/rootfs.ext4";
    static readonly DateTimeOffset Now = Epoch.AddDays(30);

    static IndexCommand.Prune PruneCmd(bool purge, StoreFacts facts) => new(purge, facts, Now, RetentionPolicy.None);

    /// <summary>TestUpsertListTagRemoveAndPrune: upsert, tag by digest, remove the tag, then purge.</summary>
    [Fact]
    public void Upsert_tag_by_digest_remove_the_tag_then_purge_prune_follows_the_original()
    {
        var facts = Existing(Baseline1);
        var upserted = Reduce(ImageIndex.Empty, new IndexCommand.Upsert(Baseline("busybox", Baseline1, DigestA)));
        Assert.Single(upserted.Index.Images);

        var tagged = Reduce(upserted.Index, new IndexCommand.Tag(DigestA, "local/busybox:tagged", Now));
        Assert.Equal("local/busybox:tagged", Assert.Single(Items(tagged)).ImageRef);
        Assert.Equal(2, tagged.Index.Images.Count);

        var removed = Reduce(tagged.Index, new IndexCommand.Remove("local/busybox:tagged", false, facts));
        var removal = Outcome(removed);
        Assert.Single(removal.Removed);
        Assert.Single(removal.Kept);
        Assert.Empty(removal.Deleted);
        Assert.Empty(removed.Effects);

        var pruned = Reduce(removed.Index, PruneCmd(true, facts));
        var prune = Outcome(pruned);
        Assert.Single(prune.Deleted);
        Assert.Empty(prune.Kept);
        Assert.Empty(prune.Removed);
        Assert.Equal(new[] { Baseline1 }, DeletedPaths(pruned));
        Assert.Empty(pruned.Index.Images);
    }

    /// <summary>TestImagesListAndPruneUseLocalIndex: a workspace rootfs whose file is gone is dropped by plain prune.</summary>
    [Fact]
    public void Prune_without_purge_drops_a_record_whose_file_is_gone()
    {
        var index = IndexOf(Baseline("busybox", Workspace, DigestA));
        var facts = Gens.FactsOf(new[] { (Workspace, Workspace, false) });
        var pruned = Reduce(index, PruneCmd(false, facts));
        var outcome = Outcome(pruned);
        Assert.Single(outcome.Removed);
        Assert.Empty(outcome.Kept);
        Assert.Empty(outcome.Deleted);
        Assert.Empty(pruned.Effects);
    }

    [Fact]
    public void Prune_without_purge_keeps_every_record_whose_file_exists_and_records_without_a_path()
    {
        var index = IndexOf(Baseline("busybox", Baseline1, DigestA), Baseline("alpine", Workspace, DigestB), Baseline("ghcr.io/a/b", "", DigestC));
        var pruned = Reduce(index, PruneCmd(false, Existing(Baseline1, Workspace)));
        Assert.Equal(index.Images, Outcome(pruned).Kept);
        Assert.Equal(index, pruned.Index);
        Assert.Empty(pruned.Effects);
    }

    /// <summary>TestImagesPruneDeleteRemovesReusableBaselines: two refs share one store file.</summary>
    [Fact]
    public void Purge_prune_of_two_refs_sharing_one_store_file_deletes_both_with_one_effect()
    {
        var index = IndexOf(Baseline("busybox", Baseline1, DigestA), Baseline("local/busybox:tagged", Baseline1, DigestA));
        var pruned = Reduce(index, PruneCmd(true, Existing(Baseline1)));
        var outcome = Outcome(pruned);
        Assert.Equal(2, outcome.Deleted.Count);
        Assert.Empty(outcome.Kept);
        Assert.Empty(outcome.Removed);
        Assert.Equal(new[] { Baseline1 }, DeletedPaths(pruned));
    }

    /// <summary>TestImagesPruneDeleteKeepsWorkspaceRootfs.</summary>
    [Fact]
    public void Purge_prune_keeps_a_workspace_rootfs_outside_the_store_and_never_deletes_it()
    {
        var record = Baseline("busybox", Workspace, DigestA);
        var pruned = Reduce(IndexOf(record), PruneCmd(true, Existing(Workspace)));
        var outcome = Outcome(pruned);
        Assert.Equal(new[] { record }, outcome.Kept.ToArray());
        Assert.Empty(outcome.Deleted);
        Assert.Empty(outcome.Removed);
        Assert.Empty(pruned.Effects);
    }

    /// <summary>TestImagesTagCreatesAlias: a tag by digest shares the output path.</summary>
    [Fact]
    public void Tag_by_digest_creates_an_alias_sharing_the_output_path()
    {
        var source = Baseline("busybox", Baseline1, DigestA);
        var tagged = Reduce(IndexOf(source), new IndexCommand.Tag(DigestA, "alias", Now));
        var alias = Assert.Single(Items(tagged));
        Assert.Equal(2, tagged.Index.Images.Count);
        Assert.Equal("alias", alias.ImageRef);
        Assert.Equal("docker.io/library/alias:latest", alias.CanonicalRef);
        Assert.Equal(source.OutputPath, alias.OutputPath);
        Assert.Equal(source.Digest, alias.Digest);
        Assert.Equal(source.ResolvedRef, alias.ResolvedRef);
        Assert.Equal(Some(Now), alias.LastUsedAt);
        Assert.Empty(tagged.Effects);
    }

    /// <summary>TestImagesRemoveAliasKeepsSharedBaseline.</summary>
    [Fact]
    public void Removing_an_alias_with_purge_keeps_the_shared_baseline()
    {
        var index = IndexOf(Baseline("busybox", Baseline1, DigestA), Baseline("alias", Baseline1, DigestA));
        var removed = Reduce(index, new IndexCommand.Remove("alias", true, Existing(Baseline1)));
        var outcome = Outcome(removed);
        Assert.Equal("alias", Assert.Single(outcome.Removed).ImageRef);
        Assert.Empty(outcome.Deleted);
        Assert.Equal("busybox", Assert.Single(outcome.Kept).ImageRef);
        Assert.Empty(removed.Effects);
    }

    /// <summary>TestImagesRemoveDigestDeletesUnsharedBaseline: one real unlink, the second record counted through the shared path.</summary>
    [Fact]
    public void Removing_by_digest_with_purge_deletes_both_records_and_the_file_once()
    {
        var index = IndexOf(Baseline("busybox", Baseline1, DigestA), Baseline("alias", Baseline1, DigestA));
        var removed = Reduce(index, new IndexCommand.Remove(DigestA, true, Existing(Baseline1)));
        var outcome = Outcome(removed);
        Assert.Equal(2, outcome.Deleted.Count);
        Assert.Empty(outcome.Removed);
        Assert.Empty(outcome.Kept);
        Assert.Equal(new[] { Baseline1 }, DeletedPaths(removed));
    }

    [Fact]
    public void Removing_with_purge_a_record_whose_file_is_already_gone_reports_it_removed_without_an_effect()
    {
        var index = IndexOf(Baseline("busybox", Baseline1, DigestA));
        var removed = Reduce(index, new IndexCommand.Remove("busybox", true, Gens.FactsOf(new[] { (Baseline1, Baseline1, false) })));
        Assert.Single(Outcome(removed).Removed);
        Assert.Empty(Outcome(removed).Deleted);
        Assert.Empty(removed.Effects);
    }

    /// <summary>TestPathInRootfsStoreRejectsSymlinkedParent: <c>rootfs/link → /outside</c>, so <c>rootfs/link/victim.ext4</c> is outside.</summary>
    [Fact]
    public void A_store_path_under_a_symlinked_parent_that_resolves_outside_is_never_deleted()
    {
        var facts = Gens.FactsOf(new[] { (Gens.PathSymlinked, Gens.PathSymlinkedResolved, true) });
        var record = Baseline("busybox", Gens.PathSymlinked, DigestA);
        Assert.False(facts.InStore(Gens.PathSymlinked));

        var removed = Reduce(IndexOf(record), new IndexCommand.Remove("busybox", true, facts));
        Assert.Single(Outcome(removed).Removed);
        Assert.Empty(removed.Effects);

        var pruned = Reduce(IndexOf(record), PruneCmd(true, facts));
        Assert.Equal(new[] { record }, Outcome(pruned).Kept.ToArray());
        Assert.Empty(pruned.Effects);
    }

    [Fact]
    public void A_path_the_host_did_not_report_is_treated_as_missing_and_outside_the_store()
    {
        var record = Baseline("busybox", Baseline1, DigestA);
        var removed = Reduce(IndexOf(record), new IndexCommand.Remove("busybox", true, StoreFacts.None));
        Assert.Single(Outcome(removed).Removed);
        Assert.Empty(removed.Effects);
    }

    [Fact]
    public void Deletion_uses_the_resolved_path_and_a_kept_alias_path_protects_the_file()
    {
        // /state/images/alias → rootfs: a kept record reaching the file through the alias keeps it alive.
        var facts = Gens.FactsOf(new[] { (Gens.PathB, Gens.PathB, true), (Gens.PathAlias, Gens.PathB, true) });
        var direct = Baseline("busybox", Gens.PathB, DigestA);
        var viaAlias = Baseline("alpine", Gens.PathAlias, DigestB);
        var removed = Reduce(IndexOf(direct, viaAlias), new IndexCommand.Remove("busybox", true, facts));
        Assert.Single(Outcome(removed).Removed);
        Assert.Empty(removed.Effects);

        var both = Reduce(IndexOf(direct, viaAlias), PruneCmd(true, facts));
        Assert.Equal(2, Outcome(both).Deleted.Count);
        Assert.Equal(new[] { Gens.PathB }, DeletedPaths(both));
    }

    [Theory]
    [InlineData("", "target image is required", ErrorCodes.MissingArgument)]
    [InlineData("   ", "target image is required", ErrorCodes.MissingArgument)]
    [InlineData("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a digest", ErrorCodes.InvalidTagTarget)]
    [InlineData("busybox@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "must be a name or name:tag, not a digest", ErrorCodes.InvalidTagTarget)]
    [InlineData("busybox:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a digest", ErrorCodes.InvalidTagTarget)]
    [InlineData("Local/Busybox", "invalid reference \"Local/Busybox\"", ErrorCodes.InvalidReference)]
    [InlineData("a\nb", "invalid reference \"a\\u000ab\"", ErrorCodes.InvalidReference)]
    [InlineData("a\u0000b", "invalid reference", ErrorCodes.InvalidReference)]
    [InlineData("busybox:", "invalid reference", ErrorCodes.InvalidReference)]
    public void Tag_refuses_a_target_that_cannot_name_an_image(string target, string message, int code)
    {
        var index = IndexOf(Baseline("busybox", Baseline1, DigestA));
        var error = Fail(Index.Reduce(index, new IndexCommand.Tag("busybox", target, Now)));
        Assert.Equal(code, error.Code);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("sha256:latest", "docker.io/library/sha256:latest")]
    [InlineData("alpine:edge", "docker.io/library/alpine:edge")]
    [InlineData("localhost:5000/mine", "localhost:5000/mine:latest")]
    public void Tag_accepts_names_that_merely_look_like_algorithm_colon_text(string target, string canonical)
    {
        var tagged = Reduce(IndexOf(Baseline("busybox", Baseline1, DigestA)), new IndexCommand.Tag("busybox", target, Now));
        Assert.Equal(canonical, Assert.Single(Items(tagged)).CanonicalRef);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Tag_requires_a_source(string source)
    {
        var error = Fail(Index.Reduce(IndexOf(Baseline("busybox", Baseline1)), new IndexCommand.Tag(source, "x", Now)));
        Assert.Equal(ErrorCodes.MissingArgument, error.Code);
        Assert.Equal("source image is required", error.Message);
    }

    [Fact]
    public void Tag_of_an_unknown_source_is_image_not_found()
    {
        var error = Fail(Index.Reduce(IndexOf(Baseline("busybox", Baseline1)), new IndexCommand.Tag("alpine", "x", Now)));
        Assert.Equal(ErrorCodes.ImageNotFound, error.Code);
        Assert.Equal("image \"alpine\" not found", error.Message);
    }

    [Fact]
    public void Tag_trims_the_target_and_tags_one_record_per_platform()
    {
        var amd = Baseline("busybox", StoreDir + "/amd.ext4", DigestA, Amd64, indexDigest: IndexDigestE);
        var arm = Baseline("busybox", StoreDir + "/arm.ext4", DigestB, Arm64, indexDigest: IndexDigestE);
        var tagged = Reduce(IndexOf(amd, arm), new IndexCommand.Tag(IndexDigestE, "  mine/busybox:v1 ", Now));
        var items = Items(tagged);
        Assert.Equal(2, items.Count);
        Assert.All(items, r => Assert.Equal("mine/busybox:v1", r.ImageRef));
        Assert.Equal(new[] { Amd64, Arm64 }, items.Map(r => r.Platform).ToArray());
        Assert.Equal(4, tagged.Index.Images.Count);
    }

    [Fact]
    public void Tagging_onto_an_existing_name_replaces_that_record()
    {
        var busybox = Baseline("busybox", Baseline1, DigestA);
        var alpine = Baseline("alpine", StoreDir + "/alpine.ext4", DigestB);
        var tagged = Reduce(IndexOf(busybox, alpine), new IndexCommand.Tag("busybox", "docker.io/library/alpine:latest", Now));
        Assert.Equal(2, tagged.Index.Images.Count);
        var replaced = Assert.Single(tagged.Index.Images, r => r.CanonicalRef == "docker.io/library/alpine:latest");
        Assert.Equal(DigestA, replaced.Digest);
        Assert.Equal(Baseline1, replaced.OutputPath);
    }

    [Fact]
    public void Remove_of_an_unknown_reference_fails_with_not_found()
    {
        var error = Fail(Index.Reduce(IndexOf(Baseline("busybox", Baseline1)), new IndexCommand.Remove("alpine", true, Existing(Baseline1))));
        Assert.Equal(ErrorCodes.ImageNotFound, error.Code);
        Assert.Equal("image \"alpine\" not found", error.Message);
    }

    [Fact]
    public void Remove_of_an_empty_reference_is_a_missing_argument()
    {
        var error = Fail(Index.Reduce(IndexOf(Baseline("busybox", Baseline1)), new IndexCommand.Remove(" ", false, StoreFacts.None)));
        Assert.Equal(ErrorCodes.MissingArgument, error.Code);
        Assert.Equal("image reference is required", error.Message);
    }

    [Fact]
    public void Touch_marks_the_named_records_used_now()
    {
        var busybox = Baseline("busybox", Baseline1, DigestA, lastUsed: At(1));
        var alpine = Baseline("alpine", StoreDir + "/alpine.ext4", DigestB, lastUsed: At(2));
        var touched = Reduce(IndexOf(busybox, alpine), new IndexCommand.Touch("docker.io/library/busybox:latest", Now));
        Assert.Equal(new[] { busybox with { LastUsedAt = Some(Now) } }, Items(touched).ToArray());
        Assert.Equal(Sorted(new[] { busybox with { LastUsedAt = Some(Now) }, alpine }), touched.Index.Images.ToArray());
    }
}
