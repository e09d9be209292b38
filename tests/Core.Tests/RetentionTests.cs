using ImageCache.Core;
using LanguageExt;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary><c>prune --unused-for</c> and <c>--keep-last</c> (<see cref="RetentionPolicy"/>), and orphan collection.</summary>
public class RetentionTests
{
    static readonly DateTimeOffset Now = Epoch.AddDays(30);

    static RetentionPolicy UnusedFor(double days) => new(Some(TimeSpan.FromDays(days)), None);
    static RetentionPolicy KeepLast(int n) => new(None, Some(n));

    static string PathOf(string name) => $"{StoreDir}/{name.Replace('/', '_').Replace(':', '_')}.ext4";

    static ImageRecord Rec(string name, Option<DateTimeOffset> lastUsed, string digest = DigestA) => Baseline(name, PathOf(name), digest, lastUsed: lastUsed);

    static (ImageIndex Index, StoreFacts Facts) Setup(params ImageRecord[] records) =>
        (IndexOf(records), Existing(records.Select(r => r.OutputPath).Where(p => p.Length > 0).Distinct().ToArray()));

    static string[] Names(Seq<ImageRecord> records) => records.Map(r => r.ImageRef).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    [Fact]
    public void Unused_for_selects_only_records_not_used_within_the_limit_and_records_never_used()
    {
        var (index, facts) = Setup(Rec("old", At(1)), Rec("recent", At(29)), Rec("never", None), Rec("edge", At(23)));
        var pruned = Reduce(index, new IndexCommand.Prune(false, facts, Now, UnusedFor(7)));
        var outcome = Outcome(pruned);
        // "edge" was used exactly 7 days ago: old enough.
        Assert.Equal(new[] { "edge", "never", "old" }, Names(outcome.Removed));
        Assert.Equal(new[] { "recent" }, Names(outcome.Kept));
        Assert.Empty(outcome.Deleted);
        Assert.Empty(pruned.Effects);
    }

    [Fact]
    public void Unused_for_with_purge_deletes_the_selected_files_only()
    {
        var (index, facts) = Setup(Rec("old", At(1)), Rec("recent", At(29)));
        var pruned = Reduce(index, new IndexCommand.Prune(true, facts, Now, UnusedFor(7)));
        Assert.Equal(new[] { "old" }, Names(Outcome(pruned).Deleted));
        Assert.Equal(new[] { "recent" }, Names(Outcome(pruned).Kept));
        Assert.Equal(new[] { PathOf("old") }, DeletedPaths(pruned));
    }

    [Fact]
    public void Keep_last_keeps_the_n_most_recently_used_records_of_each_repository()
    {
        var (index, facts) = Setup(
            Rec("busybox:1", At(1)), Rec("busybox:2", At(3)), Rec("docker.io/library/busybox:3", At(2)), Rec("busybox:never", None),
            Rec("alpine:1", At(0)), Rec("ghcr.io/acme/tool:v1", At(5)), Rec("ghcr.io/acme/tool:v2", At(6)));
        var one = Outcome(Reduce(index, new IndexCommand.Prune(false, facts, Now, KeepLast(1))));
        Assert.Equal(new[] { "alpine:1", "busybox:2", "ghcr.io/acme/tool:v2" }, Names(one.Kept));

        var two = Outcome(Reduce(index, new IndexCommand.Prune(false, facts, Now, KeepLast(2))));
        Assert.Equal(new[] { "alpine:1", "busybox:2", "docker.io/library/busybox:3", "ghcr.io/acme/tool:v1", "ghcr.io/acme/tool:v2" }, Names(two.Kept));

        var zero = Outcome(Reduce(index, new IndexCommand.Prune(false, facts, Now, KeepLast(0))));
        Assert.Empty(zero.Kept);
        Assert.Equal(7, zero.Removed.Count);
    }

    [Fact]
    public void Unused_for_and_keep_last_together_drop_only_records_both_select()
    {
        var (index, facts) = Setup(
            Rec("busybox:newest", At(29)),   // newest of its repository: kept
            Rec("busybox:recent", At(27)),   // beyond the newest 1, but used within 7 days: kept
            Rec("busybox:old", At(1)),       // beyond the newest 1 and old: dropped
            Rec("alpine:only", At(0)));      // old, but the newest of its repository: kept
        var pruned = Reduce(index, new IndexCommand.Prune(false, facts, Now, new RetentionPolicy(Some(TimeSpan.FromDays(7)), Some(1))));
        var outcome = Outcome(pruned);
        Assert.Equal(new[] { "busybox:old" }, Names(outcome.Removed));
        Assert.Equal(new[] { "alpine:only", "busybox:newest", "busybox:recent" }, Names(outcome.Kept));
    }

    [Fact]
    public void A_policy_still_drops_records_whose_file_is_gone_and_never_drops_records_without_a_path()
    {
        var gone = Rec("busybox:gone", At(29));
        var noPath = Baseline("busybox:nopath", "", DigestB, lastUsed: None);
        var index = IndexOf(gone, noPath);
        var facts = Gens.FactsOf(new[] { (gone.OutputPath, gone.OutputPath, false) });
        var outcome = Outcome(Reduce(index, new IndexCommand.Prune(false, facts, Now, KeepLast(5))));
        Assert.Equal(new[] { "busybox:gone" }, Names(outcome.Removed));
        Assert.Equal(new[] { "busybox:nopath" }, Names(outcome.Kept));
    }

    [Fact]
    public void A_policy_never_deletes_a_file_a_kept_record_shares()
    {
        var newest = Baseline("busybox:new", StoreDir + "/shared.ext4", DigestA, lastUsed: At(29));
        var old = Baseline("busybox:old", StoreDir + "/shared.ext4", DigestA, lastUsed: At(1));
        var pruned = Reduce(IndexOf(newest, old), new IndexCommand.Prune(true, Existing(StoreDir + "/shared.ext4"), Now, KeepLast(1)));
        Assert.Equal(new[] { "busybox:old" }, Names(Outcome(pruned).Removed));
        Assert.Empty(Outcome(pruned).Deleted);
        Assert.Empty(pruned.Effects);
    }

    [Fact]
    public void Negative_keep_last_is_an_error()
    {
        var (index, facts) = Setup(Rec("busybox", At(1)));
        var error = Fail(Index.Reduce(index, new IndexCommand.Prune(false, facts, Now, KeepLast(-1))));
        Assert.Equal(ErrorCodes.InvalidPolicy, error.Code);
        Assert.Contains("--keep-last", error.Message);
    }

    [Fact]
    public void Negative_unused_for_is_an_error()
    {
        var (index, facts) = Setup(Rec("busybox", At(1)));
        var error = Fail(Index.Reduce(index, new IndexCommand.Prune(true, facts, Now, new RetentionPolicy(Some(TimeSpan.FromHours(-1)), None))));
        Assert.Equal(ErrorCodes.InvalidPolicy, error.Code);
        Assert.Contains("--unused-for", error.Message);
    }

    [Fact]
    public void Orphan_store_files_are_deleted_only_with_purge()
    {
        var kept = Rec("busybox", At(29));
        const string orphan = StoreDir + "/orphan.ext4";
        var facts = Gens.FactsOf(new[] { (kept.OutputPath, kept.OutputPath, true) }, new[] { orphan, "/elsewhere/not-in-store.ext4" });
        var index = IndexOf(kept);

        var plain = Reduce(index, new IndexCommand.Prune(false, facts, Now, UnusedFor(7)));
        Assert.Empty(Outcome(plain).OrphansDeleted);
        Assert.Empty(plain.Effects);

        var purged = Reduce(index, new IndexCommand.Prune(true, facts, Now, UnusedFor(7)));
        Assert.Equal(new[] { orphan }, Outcome(purged).OrphansDeleted.ToArray());
        Assert.Equal(new[] { orphan }, DeletedPaths(purged));
        Assert.Equal(new[] { kept }, Outcome(purged).Kept.ToArray());
    }

    [Fact]
    public void A_file_referenced_by_any_record_is_not_an_orphan()
    {
        var inStore = Rec("busybox", At(29));
        var facts = Existing(inStore.OutputPath);
        Assert.Equal(new[] { inStore.OutputPath }, facts.StoreFiles.ToArray());
        var purged = Reduce(IndexOf(inStore), new IndexCommand.Prune(true, facts, Now, KeepLast(1)));
        Assert.Empty(Outcome(purged).OrphansDeleted);
        Assert.Empty(purged.Effects);
    }

    [Fact]
    public void Retention_policy_IsSet_only_when_a_limit_is_given()
    {
        Assert.False(RetentionPolicy.None.IsSet);
        Assert.True(UnusedFor(1).IsSet);
        Assert.True(KeepLast(0).IsSet);
    }
}
