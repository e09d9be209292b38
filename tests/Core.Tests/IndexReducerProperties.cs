using CsCheck;
using ImageCache.Core;
using LanguageExt;
using LanguageExt.Common;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary>Laws of <see cref="Index.Reduce"/> over generated indexes and commands (style-anchors §4 item 8a).</summary>
public class IndexReducerProperties
{
    static readonly int[] ExpectedCodes =
    {
        ErrorCodes.ImageNotFound, ErrorCodes.AmbiguousReference, ErrorCodes.MissingArgument,
        ErrorCodes.InvalidReference, ErrorCodes.InvalidTagTarget, ErrorCodes.InvalidPolicy,
    };

    /// <summary>The facts a command decided on, when it carries any.</summary>
    static Option<StoreFacts> FactsOf(IndexCommand command) => command switch
    {
        IndexCommand.Remove r => Some(r.Facts),
        IndexCommand.Prune p => Some(p.Facts),
        _ => None,
    };

    /// <summary>A record whose image_ref, canonical form and digests match nothing the pools produce.</summary>
    static readonly Gen<ImageRecord> FreshRecord =
        from record in Gens.Record
        from name in Gens.PathComponent
        from digest in Gens.Hex64
        from indexDigest in Gen.Frequency((1, (IGen<string>)Gen.Const("")), (1, Gens.Hex64.Select(h => "sha256:" + h)))
        let imageRef = "fresh.example/" + name + ":v1"
        select record with
        {
            ImageRef = imageRef,
            CanonicalRef = ImageRef.CanonicalOf(imageRef).IfNone(""),
            ResolvedRef = "fresh.example/" + name + "@sha256:" + digest,
            Digest = "sha256:" + digest,
            IndexDigest = indexDigest,
        };

    static bool MatchesNothingIn(ImageIndex index, string reference) => RefMatcher.Find(index, reference).IsFail;

    [Fact]
    public void Reduce_never_throws_and_always_leaves_a_sorted_index() =>
        Gen.Select(Gen.OneOf(Gens.Index, Gens.RawIndex), Gens.Commands).Sample((start, commands) =>
        {
            var index = start;
            foreach (var command in commands)
            {
                var result = Index.Reduce(index, command);
                result.Match(
                    reduction =>
                    {
                        Assert.Equal(RecordOrder.Sort(reduction.Index.Images), reduction.Index.Images);
                        index = reduction.Index;
                    },
                    error => Assert.Contains(error.Code, ExpectedCodes));
            }
        }, iter: 1000);

    [Fact]
    public void Upsert_is_idempotent() =>
        Gen.Select(Gens.Index, Gens.Record).Sample((index, record) =>
        {
            var once = Reduce(index, new IndexCommand.Upsert(record));
            var twice = Reduce(once.Index, new IndexCommand.Upsert(record));
            Assert.Equal(once.Index, twice.Index);
            Assert.Contains(record, once.Index.Images);
            Assert.Equal(Seq1(record), Items(once));
            Assert.True(once.Effects.IsEmpty);
        }, iter: 1000);

    [Fact]
    public void Records_with_every_field_set_compare_by_value_and_upsert_idempotently() =>
        Gen.Select(Gens.RichIndex, Gens.RichRecord).Sample((index, record) =>
        {
            var copy = record with { ImageEnv = toSeq(record.ImageEnv.ToArray()), Extensions = record.Extensions.Map(v => new string(v.ToCharArray())) };
            Assert.Equal(record, copy);
            Assert.Equal(record.GetHashCode(), copy.GetHashCode());
            var once = Reduce(index, new IndexCommand.Upsert(record));
            Assert.Equal(once.Index, Reduce(once.Index, new IndexCommand.Upsert(copy)).Index);
        });

    [Fact]
    public void Upsert_replaces_exactly_the_records_of_the_same_key() =>
        Gen.Select(Gens.Index, Gens.Record).Sample((index, record) =>
        {
            var after = Reduce(index, new IndexCommand.Upsert(record)).Index;
            var key = Index.KeyOf(record);
            Assert.Equal(Sorted(index.Images.Filter(r => Index.KeyOf(r) != key).Add(record)), after.Images.ToArray());
        }, iter: 1000);

    [Fact]
    public void Upsert_then_remove_of_a_fresh_record_gives_back_the_original_index() =>
        Gen.Select(Gens.Index, FreshRecord, Gen.Bool, Gens.Facts).Sample((index, fresh, byDigest, facts) =>
        {
            Assert.True(MatchesNothingIn(index, fresh.ImageRef));
            Assert.True(MatchesNothingIn(index, fresh.Digest));
            var upserted = Reduce(index, new IndexCommand.Upsert(fresh));
            Assert.Equal(index.Images.Count + 1, upserted.Index.Images.Count);
            var removed = Reduce(upserted.Index, new IndexCommand.Remove(byDigest ? fresh.Digest : fresh.ImageRef, false, facts));
            Assert.Equal(index, removed.Index);
            Assert.True(removed.Effects.IsEmpty);
            var outcome = Outcome(removed);
            Assert.Equal(new[] { fresh }, outcome.Removed.ToArray());
            Assert.True(outcome.Deleted.IsEmpty);
        }, iter: 1000);

    [Fact]
    public void Tag_then_remove_of_the_tag_keeps_the_source_record_and_its_file() =>
        (from index in Gens.Index.Where(i => !i.Images.IsEmpty)
         from pick in Gen.Int[0, 7]
         from byDigest in Gen.Bool
         from target in Gens.PathComponent.Select(n => "fresh.example/tags/" + n + ":t")
         from facts in Gens.Facts
         from now in Gens.Now
         select (index, source: index.Images[pick % index.Images.Count], byDigest, target, facts, now))
        .Sample(t =>
        {
            var sourceRef = t.byDigest ? t.source.Digest : t.source.ImageRef;
            var tagged = Reduce(t.index, new IndexCommand.Tag(sourceRef, t.target, t.now));
            // One copy per platform of the records the source names, renamed to the target.
            var found = Succ(RefMatcher.Find(t.index, sourceRef));
            Assert.Equal(found.Map(r => r.Platform).Distinct().Count(), Items(tagged).Count);
            Assert.All(Items(tagged), r =>
            {
                Assert.Equal(t.target, r.ImageRef);
                Assert.Contains(found, s => s with { ImageRef = r.ImageRef, CanonicalRef = r.CanonicalRef, LastUsedAt = r.LastUsedAt } == r);
            });

            var removed = Reduce(tagged.Index, new IndexCommand.Remove(t.target, true, t.facts));
            Assert.Equal(t.index, removed.Index);
            Assert.Contains(t.source, removed.Index.Images);
            var sourceFile = t.facts.For(t.source.OutputPath).ResolvedPath;
            Assert.DoesNotContain(sourceFile, DeletedPaths(removed));
            Assert.DoesNotContain(t.source.OutputPath, DeletedPaths(removed));
            Assert.Empty(DeletedPaths(removed));
        }, iter: 1000);

    [Fact]
    public void Remove_and_prune_never_delete_a_file_a_kept_record_references() =>
        Gen.Select(Gens.Index, Gen.OneOf(Gens.PruneCommand, Gens.RemoveCommand)).Sample((index, command) =>
            Index.Reduce(index, command).IfSucc(reduction =>
            {
                var facts = FactsOf(command).IfNone(StoreFacts.None);
                var deleted = DeletedPaths(reduction);
                foreach (var kept in reduction.Index.Images)
                {
                    Assert.DoesNotContain(kept.OutputPath, deleted);
                    Assert.DoesNotContain(facts.For(kept.OutputPath).ResolvedPath, deleted);
                }
            }), iter: 1000);

    [Fact]
    public void Every_delete_effect_names_a_path_inside_the_store_once() =>
        Gen.Select(Gens.Index, Gens.Commands).Sample((start, commands) =>
        {
            var index = start;
            foreach (var command in commands)
                Index.Reduce(index, command).IfSucc(reduction =>
                {
                    var deleted = DeletedPaths(reduction);
                    if (deleted.Length > 0)
                    {
                        var facts = FactsOf(command).IfNone(() => throw new Xunit.Sdk.XunitException($"{command.GetType().Name} deleted files"));
                        Assert.All(deleted, path => Assert.True(StoreRules.IsInsideStore(facts.StoreDir, path), path));
                        Assert.Equal(deleted.Length, deleted.Distinct(StringComparer.Ordinal).Count());
                    }
                    index = reduction.Index;
                });
        }, iter: 1000);

    [Fact]
    public void Prune_partitions_the_records_into_removed_deleted_and_kept() =>
        Gen.Select(Gens.Index, Gens.PruneCommand).Sample((index, command) =>
            Index.Reduce(index, command).IfSucc(reduction =>
            {
                var outcome = Outcome(reduction);
                Assert.Equal(Sorted(index.Images), Sorted(outcome.Removed.Concat(outcome.Deleted).Concat(outcome.Kept)));
                Assert.Equal(reduction.Index.Images, outcome.Kept);
                // Records without a path are never dropped; records whose file is gone always are.
                var prune = (IndexCommand.Prune)command;
                Assert.All(index.Images.Filter(r => r.OutputPath.Length == 0), r => Assert.Contains(r, outcome.Kept));
                Assert.All(index.Images.Filter(r => r.OutputPath.Length > 0 && !prune.Facts.For(r.OutputPath).Exists),
                    r => Assert.DoesNotContain(r, outcome.Kept));
                if (!prune.Purge)
                {
                    Assert.True(outcome.Deleted.IsEmpty);
                    Assert.True(outcome.OrphansDeleted.IsEmpty);
                    Assert.True(reduction.Effects.IsEmpty);
                }
            }), iter: 1000);

    [Fact]
    public void Remove_keeps_exactly_the_records_the_reference_does_not_name() =>
        Gen.Select(Gens.Index, Gens.RemoveCommand).Sample((index, command) =>
        {
            var remove = (IndexCommand.Remove)command;
            var found = RefMatcher.Find(index, remove.Reference);
            var result = Index.Reduce(index, command);
            Assert.Equal(found.IsSucc, result.IsSucc);
            found.IfSucc(matched =>
            {
                var reduction = Succ(result);
                var outcome = Outcome(reduction);
                Assert.Equal(Sorted(index.Images.Filter(r => !matched.Contains(r))), outcome.Kept.ToArray());
                Assert.Equal(Sorted(matched), Sorted(outcome.Removed.Concat(outcome.Deleted)));
                Assert.Equal(reduction.Index.Images, outcome.Kept);
                Assert.True(outcome.OrphansDeleted.IsEmpty);
                if (!remove.Purge) Assert.True(reduction.Effects.IsEmpty && outcome.Deleted.IsEmpty);
            });
        }, iter: 1000);

    [Fact]
    public void Touch_changes_only_the_last_used_time_of_the_records_named() =>
        Gen.Select(Gens.Index, Gens.TouchCommand).Sample((index, command) =>
        {
            var touch = (IndexCommand.Touch)command;
            RefMatcher.Find(index, touch.Reference).Match(
                matched =>
                {
                    var after = Reduce(index, command);
                    var expected = index.Images.Map(r => matched.Contains(r) ? r with { LastUsedAt = Some(touch.Now) } : r);
                    Assert.Equal(Sorted(expected), after.Index.Images.ToArray());
                    Assert.True(after.Effects.IsEmpty);
                },
                error => Assert.Equal(error, Fail(Index.Reduce(index, command))));
        }, iter: 1000);

    /// <summary>
    /// The reducer's only way to refuse is an expected error with the index untouched: Remove and Touch fail exactly
    /// when the reference finds nothing (with Find's error), Tag fails on a bad target or an unknown source, Prune only on
    /// a negative policy, Upsert never; and the same command on the same index always gives the same answer.
    /// </summary>
    [Fact]
    public void A_failing_command_is_an_expected_error_and_changes_nothing() =>
        Gen.Select(Gens.Index, Gens.Command).Sample((index, command) =>
        {
            var before = index with { };
            var result = Index.Reduce(index, command);
            Assert.Equal(result, Index.Reduce(index, command));
            Assert.Equal(before, index);
            Option<Error> expected = command switch
            {
                IndexCommand.Upsert => None,
                IndexCommand.Remove r => RefMatcher.Find(index, r.Reference).Match(_ => Option<Error>.None, e => Some(e)),
                IndexCommand.Touch r => RefMatcher.Find(index, r.Reference).Match(_ => Option<Error>.None, e => Some(e)),
                IndexCommand.Prune p => p.Policy.KeepLast.Exists(n => n < 0) || p.Policy.UnusedFor.Exists(d => d < TimeSpan.Zero)
                    ? Some(Error.New(ErrorCodes.InvalidPolicy, "")) : None,
                IndexCommand.Tag t => TagError(index, t),
                _ => throw new Xunit.Sdk.XunitException($"unexpected command {command}"),
            };
            result.Match(
                _ => Assert.True(expected.IsNone, $"expected {expected}"),
                error => Assert.Equal(expected.Map(e => e.Code), Some(error.Code)));
        }, iter: 1000);

    static Option<Error> TagError(ImageIndex index, IndexCommand.Tag tag)
    {
        if (tag.Source.Trim().Length == 0 || tag.Target.Trim().Length == 0) return Some(Error.New(ErrorCodes.MissingArgument, ""));
        var parsed = ImageRef.Parse(tag.Target);
        if (parsed.IsFail) return Some(Error.New(ErrorCodes.InvalidReference, ""));
        if (parsed.Map(r => r.Digest.IsSome).IfFail(false) || IsShaDigest(tag.Target.Trim())) return Some(Error.New(ErrorCodes.InvalidTagTarget, ""));
        return RefMatcher.Find(index, tag.Source).Match(_ => Option<Error>.None, e => Some(e));
    }
}
