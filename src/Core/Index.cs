using System;
using System.Collections.Generic;
using System.Diagnostics.Contracts;
using System.Linq;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>The index reducer: every change to the index is a total, pure function of the index and a command.</summary>
public static class Index
{
    /// <summary>Applies <paramref name="command"/>: the new index (sorted), the effects to perform after writing it, and the answer; or an expected error, leaving the index as it was.</summary>
    [Pure]
    public static Fin<Reduction> Reduce(ImageIndex index, IndexCommand command) => command switch
    {
        IndexCommand.Upsert c => FinSucc(Upsert(index, c.Record)),
        IndexCommand.Tag c => Tag(index, c),
        IndexCommand.Remove c => Remove(index, c),
        IndexCommand.Prune c => Prune(index, c),
        IndexCommand.Touch c => Touch(index, c),
        _ => Error.New($"unknown index command {command.GetType().Name}"),
    };

    /// <summary>The key two records share when one replaces the other: canonical reference (or the typed one when it does not parse) and platform.</summary>
    [Pure]
    public static (string Name, Platform Platform) KeyOf(ImageRecord record)
    {
        var canonical = record.EffectiveCanonicalRef;
        return (canonical.Length > 0 ? canonical : record.ImageRef, record.Platform);
    }

    /// <summary>
    /// The records <paramref name="reference"/> names that satisfy <paramref name="platform"/> (empty fields are
    /// wildcards) and have a baseline path (the seed's <c>Find</c>; the Host also checks that the file exists).
    /// </summary>
    [Pure]
    public static Fin<Seq<ImageRecord>> Find(ImageIndex index, string reference, Platform platform) =>
        RefMatcher.Find(index, reference).Bind(found =>
        {
            var usable = found.Filter(r => r.Platform.Satisfies(platform) && r.OutputPath.Length > 0).Strict();
            return usable.IsEmpty ? FinFail<Seq<ImageRecord>>(CoreErrors.ImageNotFound(reference.Trim())) : FinSucc(usable);
        });

    static Reduction Upsert(ImageIndex index, ImageRecord record)
    {
        // One pass over the records in this assembly's compiled code (a tag or a pull's record update on 10,000
        // records spent ~6 ms in Seq.Filter's iterator and the key tuples' comparers).
        var (name, platform) = KeyOf(record);
        var records = index.Images.ToArray();
        var rest = new ImageRecord[records.Length];
        var kept = 0;
        foreach (var r in records)
            if (!HasKey(r, name, platform)) rest[kept++] = r;
        System.Array.Resize(ref rest, kept);
        return new Reduction(new ImageIndex(RecordOrder.Insert(rest, record)), LanguageExt.Seq<IndexEffect>.Empty,
            new IndexResult.Records(Seq1(record)));
    }

    static bool HasKey(ImageRecord record, string name, Platform platform)
    {
        var (recordName, recordPlatform) = KeyOf(record); // compared field by field: no tuple comparer to JIT-compile
        return string.Equals(recordName, name, StringComparison.Ordinal) && recordPlatform.Equals(platform);
    }

    static Fin<Reduction> Tag(ImageIndex index, IndexCommand.Tag command)
    {
        var target = command.Target.Trim();
        if (command.Source.Trim().Length == 0) return CoreErrors.Missing("source image");
        if (target.Length == 0) return CoreErrors.Missing("target image");
        var parsed = ImageRef.Parse(target);
        if (parsed.IsFail) return parsed.Map(_ => default(Reduction)!);
        var targetRef = (ImageRef)parsed;
        // A bare sha256/sha512 digest parses as repository "sha256" with a hex tag; it is a digest all the same.
        if (targetRef.Digest.IsSome || Digest.Parse(target).Map(d => d.Algorithm is "sha256" or "sha512").IfFail(false))
            return Error.New(ErrorCodes.InvalidTagTarget, $"target image \"{target}\" must be a name or name:tag, not a digest");

        return RefMatcher.Find(index, command.Source).Map(found =>
        {
            // One record per platform: the first in index order, as the original took the first match.
            var sources = FirstPerPlatform(found);
            var tagged = sources.Map(source => source with
            {
                ImageRef = target,
                CanonicalRef = targetRef.ToString(),
                LastUsedAt = Some(command.Now),
            }).Strict();
            var next = tagged.Fold(index, (acc, record) => Upsert(acc, record).Index);
            return new Reduction(next, LanguageExt.Seq<IndexEffect>.Empty, new IndexResult.Records(tagged));
        });
    }

    static Seq<ImageRecord> FirstPerPlatform(Seq<ImageRecord> records)
    {
        var platforms = new List<Platform>();
        var firsts = new List<ImageRecord>();
        foreach (var record in records)
        {
            if (platforms.Contains(record.Platform)) continue;
            platforms.Add(record.Platform);
            firsts.Add(record);
        }
        return firsts.ToArray().ToSeq().Strict();
    }

    static Fin<Reduction> Remove(ImageIndex index, IndexCommand.Remove command) =>
        RefMatcher.Find(index, command.Reference).Map(matched =>
        {
            var matchedSet = Identities(matched);
            var kept = index.Images.Filter(r => !matchedSet.Contains(r)).Strict();
            return Drop(kept, RecordOrder.Sort(matched), command.Purge, command.Facts, LanguageExt.Seq<string>.Empty);
        });

    static Fin<Reduction> Prune(ImageIndex index, IndexCommand.Prune command)
    {
        if (command.Policy.KeepLast.Exists(n => n < 0)) return Error.New(ErrorCodes.InvalidPolicy, "--keep-last must not be negative");
        if (command.Policy.UnusedFor.Exists(d => d < TimeSpan.Zero)) return Error.New(ErrorCodes.InvalidPolicy, "--unused-for must not be negative");

        var selected = SelectedByPolicy(index.Images, command.Policy, command.Now);
        var facts = command.Facts;
        bool Drops(ImageRecord r)
        {
            if (r.OutputPath.Length == 0) return false;         // nothing to check or delete: the original keeps these
            if (!facts.For(r.OutputPath).Exists) return true;   // stale: its file is gone
            if (command.Policy.IsSet) return selected.Contains(r);
            return command.Purge && facts.InStore(r.OutputPath); // no policy: --purge empties the store
        }

        var dropped = index.Images.Filter(Drops).Strict();
        var kept = index.Images.Filter(r => !Drops(r)).Strict();
        var orphans = command.Purge ? Orphans(kept, dropped, facts) : LanguageExt.Seq<string>.Empty;
        return FinSucc(Drop(kept, dropped, command.Purge, facts, orphans));
    }

    static Fin<Reduction> Touch(ImageIndex index, IndexCommand.Touch command) =>
        RefMatcher.Find(index, command.Reference).Map(matched =>
        {
            var touched = matched.Map(r => r with { LastUsedAt = Some(command.Now) }).Strict();
            var matchedSet = Identities(matched);
            var next = index.Images.Map(r => matchedSet.Contains(r) ? r with { LastUsedAt = Some(command.Now) } : r);
            return new Reduction(new ImageIndex(RecordOrder.Sort(next)), LanguageExt.Seq<IndexEffect>.Empty, new IndexResult.Records(touched));
        });

    /// <summary>Splits dropped records into Deleted and Removed and emits one delete per file, never for a file a kept record uses.</summary>
    static Reduction Drop(Seq<ImageRecord> kept, Seq<ImageRecord> dropped, bool purge, StoreFacts facts, Seq<string> orphans)
    {
        var keptPaths = new System.Collections.Generic.HashSet<string>(kept.Map(r => facts.For(r.OutputPath).ResolvedPath).Filter(p => p.Length > 0), StringComparer.Ordinal);
        var deletedPaths = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var removed = LanguageExt.Seq<ImageRecord>.Empty;
        var deleted = LanguageExt.Seq<ImageRecord>.Empty;
        var effects = LanguageExt.Seq<IndexEffect>.Empty;
        foreach (var record in RecordOrder.Sort(dropped))
        {
            var fact = facts.For(record.OutputPath);
            var deletable = purge && record.OutputPath.Length > 0 && facts.InStore(record.OutputPath) && !keptPaths.Contains(fact.ResolvedPath);
            if (deletable && deletedPaths.Contains(fact.ResolvedPath))
                deleted = deleted.Add(record);
            else if (deletable && fact.Exists)
            {
                deleted = deleted.Add(record);
                deletedPaths.Add(fact.ResolvedPath);
                effects = effects.Add(new IndexEffect.DeleteFile(fact.ResolvedPath));
            }
            else
                removed = removed.Add(record);
        }
        effects = effects.Concat(orphans.Map(p => (IndexEffect)new IndexEffect.DeleteFile(p))).Strict();
        var sortedKept = RecordOrder.Sort(kept);
        return new Reduction(new ImageIndex(sortedKept), effects,
            new IndexResult.Pruned(new PruneResult(removed, deleted, sortedKept, orphans)));
    }

    static Seq<string> Orphans(Seq<ImageRecord> kept, Seq<ImageRecord> dropped, StoreFacts facts)
    {
        var referenced = new System.Collections.Generic.HashSet<string>(kept.Concat(dropped).Map(r => facts.For(r.OutputPath).ResolvedPath), StringComparer.Ordinal);
        return facts.StoreFiles
            .Filter(p => StoreRules.IsInsideStore(facts.StoreDir, p) && !referenced.Contains(p))
            .Distinct()
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToSeq()
            .Strict();
    }

    static System.Collections.Generic.HashSet<ImageRecord> SelectedByPolicy(Seq<ImageRecord> records, RetentionPolicy policy, DateTimeOffset now)
    {
        if (!policy.IsSet) return Identities(LanguageExt.Seq<ImageRecord>.Empty);
        var tooOld = policy.UnusedFor.Match(
            limit => Identities(records.Filter(r => r.LastUsedAt.Match(t => now - t >= limit, () => true))),
            () => Identities(records));
        var beyondNewest = policy.KeepLast.Match(
            n => Identities(records
                .GroupBy(r => r.RepositoryName, StringComparer.Ordinal)
                .SelectMany(g => g
                    .OrderByDescending(r => r.LastUsedAt.Match(t => t.UtcTicks, () => long.MinValue))
                    .ThenBy(r => r, System.Collections.Generic.Comparer<ImageRecord>.Create(RecordOrder.Compare))
                    .Skip(n))),
            () => Identities(records));
        tooOld.IntersectWith(beyondNewest);
        return tooOld;
    }

    /// <summary>
    /// A set of these very record instances. Records compare by identity here on purpose: value equality of a
    /// record reaches LanguageExt's default <c>Eq</c> for its <c>Seq</c>/<c>Option</c> fields, whose first use scans
    /// every loaded assembly by reflection (about half a second), which a short-lived CLI process cannot afford.
    /// </summary>
    static System.Collections.Generic.HashSet<ImageRecord> Identities(System.Collections.Generic.IEnumerable<ImageRecord> records) =>
        new(records, System.Collections.Generic.ReferenceEqualityComparer.Instance);
}
