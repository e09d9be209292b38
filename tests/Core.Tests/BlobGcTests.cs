using ImageCache.Core;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core.Tests;

public class BlobGcTests
{
    static string D(char c) => "sha256:" + new string(c, 64);

    static readonly string IndexX = D('1'), ManifestA = D('a'), ConfigA = D('b'), Shared = D('c'), ManifestB = D('d'), ConfigB = D('e'),
        OnlyB = D('f'), ManifestC = D('2'), ConfigC = D('3'), Stray = D('9');

    /// <summary>
    /// Index X lists manifests A and C; A = config b + layers c (shared), B = config e + layers c, f; C = config 3.
    /// Every blob is stored (1, 2, … bytes) plus a stray one.
    /// </summary>
    static BlobFacts Facts(params (string RefName, string Digest)[] refs)
    {
        var children = Map<OrdStringOrdinal, string, Seq<string>>.Empty
            .Add(IndexX, Seq.create(ManifestA, ManifestC))
            .Add(ManifestA, Seq.create(ConfigA, Shared))
            .Add(ManifestB, Seq.create(ConfigB, Shared, OnlyB))
            .Add(ManifestC, Seq.create(ConfigC));
        var stored = Map<OrdStringOrdinal, string, long>.Empty;
        var size = 1L;
        foreach (var digest in new[] { IndexX, ManifestA, ConfigA, Shared, ManifestB, ConfigB, OnlyB, ManifestC, ConfigC, Stray })
            stored = stored.Add(digest, size++);
        return new BlobFacts(refs.ToSeq().Strict(), children, stored);
    }

    static ImageRecord Record(string digest, string index = "") => new() { ImageRef = "r", Digest = digest, IndexDigest = index };

    [Fact]
    public void A_dropped_image_loses_only_what_no_kept_image_reaches_and_a_shared_layer_stays()
    {
        var plan = BlobGc.Plan(Seq.create(Record(ManifestA)), Facts(("b", ManifestB), ("a", ManifestA)));

        Assert.Equal(new[] { ConfigB, OnlyB, ManifestB, IndexX, ManifestC, ConfigC, Stray }.Order(StringComparer.Ordinal), plan.DeletedBlobs);
        Assert.Equal(new[] { ManifestB }, plan.RemovedRefs);
        Assert.Equal(6 + 7 + 5 + 1 + 8 + 9 + 10, plan.BytesFreed);
        Assert.Equal("", plan.Skipped);
    }

    [Fact]
    public void A_record_index_digest_keeps_the_whole_index_and_every_platform_manifest_it_lists()
    {
        var plan = BlobGc.Plan(Seq.create(Record(ManifestA, IndexX)), Facts(("x", IndexX)));

        Assert.Equal(new[] { ConfigB, OnlyB, ManifestB, Stray }.Order(StringComparer.Ordinal), plan.DeletedBlobs);
        Assert.True(plan.RemovedRefs.IsEmpty);
    }

    [Fact]
    public void With_no_records_everything_goes_and_every_layout_entry_is_removed_once()
    {
        var plan = BlobGc.Plan(Seq<ImageRecord>.Empty, Facts(("a", ManifestA), ("again", ManifestA), ("b", ManifestB)));

        Assert.Equal(10, plan.DeletedBlobs.Count);
        Assert.Equal(55, plan.BytesFreed);
        Assert.Equal(new[] { ManifestA, ManifestB }, plan.RemovedRefs);
    }

    [Fact]
    public void A_record_whose_blobs_are_missing_keeps_nothing_else_and_never_fails()
    {
        var missing = D('7');
        var plan = BlobGc.Plan(Seq.create(Record(missing)), Facts());

        Assert.Equal(10, plan.DeletedBlobs.Count);
        Assert.DoesNotContain(missing, plan.DeletedBlobs);
    }
}
