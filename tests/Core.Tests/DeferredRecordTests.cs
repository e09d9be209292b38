using CsCheck;
using LanguageExt;
using Xunit;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary>
/// A record read from a large index defers its details (<see cref="ImageRecord.DeferDetails(ImageRecord, Func{ImageRecord})"/>): it must behave
/// exactly like the whole record it stands for, decode at most once, and only when a detail is asked for.
/// </summary>
public sealed class DeferredRecordTests
{
    static ImageRecord KeysOf(ImageRecord r) => new()
    {
        ImageRef = r.ImageRef, CanonicalRef = r.CanonicalRef, ResolvedRef = r.ResolvedRef, Digest = r.Digest,
        IndexDigest = r.IndexDigest, Platform = r.Platform, OutputPath = r.OutputPath,
    };

    [Fact]
    public void A_deferred_record_equals_the_whole_record_and_decodes_once_when_a_detail_is_read()
    {
        Gens.RichRecord.Sample(whole =>
        {
            var decodes = 0;
            var deferred = ImageRecord.DeferDetails(KeysOf(whole), () => { decodes++; return whole; });
            Assert.Equal(whole.ImageRef, deferred.ImageRef);
            Assert.Equal(whole.Platform, deferred.Platform);
            Assert.Equal(whole.OutputPath, deferred.OutputPath);
            Assert.Equal(0, decodes); // keys need no decoding
            Assert.Equal(whole.SizeBytes, deferred.SizeBytes);
            Assert.Equal(whole.LayerDigests, deferred.LayerDigests);
            Assert.Equal(whole, deferred);
            Assert.Equal(deferred, whole);
            Assert.Equal(whole.GetHashCode(), deferred.GetHashCode());
            Assert.Equal(1, decodes);
        }, iter: 200);
    }

    [Fact]
    public void A_record_deferred_from_its_key_values_is_the_record_deferred_from_its_keys()
    {
        Gens.RichRecord.Sample(whole =>
        {
            var decodes = 0;
            var deferred = ImageRecord.DeferDetails(whole.ImageRef, whole.CanonicalRef, whole.ResolvedRef, whole.Digest,
                whole.IndexDigest, whole.Platform, whole.OutputPath, () => { decodes++; return whole; });
            Assert.Equal((whole.ImageRef, whole.CanonicalRef, whole.ResolvedRef, whole.Digest, whole.IndexDigest, whole.Platform, whole.OutputPath),
                (deferred.ImageRef, deferred.CanonicalRef, deferred.ResolvedRef, deferred.Digest, deferred.IndexDigest, deferred.Platform, deferred.OutputPath));
            Assert.Equal(0, decodes);
            Assert.Equal(ImageRecord.DeferDetails(KeysOf(whole), () => whole), deferred);
            Assert.Equal(whole, deferred);
            Assert.Equal(1, decodes);
        }, iter: 200);
    }

    [Fact]
    public void A_with_on_a_deferred_record_keeps_every_other_field_and_leaves_the_original_as_it_was()
    {
        Gen.Select(Gens.RichRecord, Gen.Long[0, 1L << 40]).Sample((whole, ticks) =>
        {
            var when = new DateTimeOffset(ticks, TimeSpan.Zero);
            var deferred = ImageRecord.DeferDetails(KeysOf(whole), () => whole);
            var renamed = deferred with { ImageRef = "local/renamed:v1", LastUsedAt = Some(when) };
            Assert.Equal(whole with { ImageRef = "local/renamed:v1", LastUsedAt = Some(when) }, renamed);
            Assert.Equal(whole, deferred);
            var keyOnly = deferred with { CanonicalRef = "docker.io/local/other:v2" };
            Assert.Equal(whole with { CanonicalRef = "docker.io/local/other:v2" }, keyOnly);
        }, iter: 200);
    }

    [Fact]
    public void Records_differing_in_one_detail_are_not_equal_whether_deferred_or_not()
    {
        Gens.RichRecord.Sample(whole =>
        {
            var other = whole with { SizeBytes = whole.SizeBytes + 1 };
            Assert.NotEqual(whole, ImageRecord.DeferDetails(KeysOf(other), () => other));
            var otherEnv = whole with { ImageEnv = whole.ImageEnv.Add("EXTRA=1") };
            Assert.NotEqual(ImageRecord.DeferDetails(KeysOf(whole), () => whole), otherEnv);
        }, iter: 100);
    }

    [Fact]
    public void Inserting_into_a_sorted_index_gives_the_order_a_full_sort_gives()
    {
        Gen.Select(Gens.RichRecord.Array[0, 30], Gens.RichRecord).Sample((records, added) =>
        {
            var sorted = RecordOrder.Sort(records.ToSeq().Strict());
            var inserted = RecordOrder.Insert(sorted, added);
            var expected = RecordOrder.Sort(sorted.Add(added));
            Assert.Equal(expected.Count, inserted.Count);
            Assert.All(inserted.Zip(expected), pair => Assert.Equal(0, RecordOrder.Compare(pair.Item1, pair.Item2)));
            Assert.Contains(inserted, r => ReferenceEquals(r, added));
            // An unsorted input is sorted whole.
            var unsorted = records.ToSeq().Strict();
            Assert.All(RecordOrder.Insert(unsorted, added).Zip(RecordOrder.Sort(unsorted.Add(added))), pair => Assert.Equal(0, RecordOrder.Compare(pair.Item1, pair.Item2)));
        }, iter: 200);
    }
}
