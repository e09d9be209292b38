using System;
using System.Linq;
using LanguageExt;

namespace ImageCache.Core;

/// <summary>
/// Which blobs of the blob store are garbage (DESIGN §3, issue 3): the roots are the images records point at (their
/// manifest and index digests); a layout <c>index.json</c> entry survives only when its digest is such a root; every
/// blob reachable from a root or a surviving entry (index → manifests → config, layers, subject) is kept; every other
/// stored blob is deleted. Pure: the Host gathers <see cref="BlobFacts"/> and performs the plan.
/// </summary>
public static class BlobGc
{
    /// <summary>The collection plan for <paramref name="records"/> over <paramref name="facts"/>.</summary>
    public static BlobGcOutcome Plan(Seq<ImageRecord> records, BlobFacts facts)
    {
        var roots = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (record.Digest.Length > 0) roots.Add(record.Digest);
            if (record.IndexDigest.Length > 0) roots.Add(record.IndexDigest);
        }

        var removedRefs = facts.LayoutRefs.Map(r => r.Digest).Filter(d => !roots.Contains(d)).Distinct()
            .OrderBy(d => d, StringComparer.Ordinal).ToSeq().Strict();

        var reachable = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var pending = new System.Collections.Generic.Stack<string>(roots);
        while (pending.Count > 0)
        {
            var digest = pending.Pop();
            if (!reachable.Add(digest)) continue;
            foreach (var child in facts.Children.Find(digest).IfNone(LanguageExt.Seq<string>.Empty))
                if (!reachable.Contains(child)) pending.Push(child);
        }

        var deleted = facts.StoredBlobs.Keys.Filter(d => !reachable.Contains(d)).OrderBy(d => d, StringComparer.Ordinal).ToSeq().Strict();
        var bytes = deleted.Fold(0L, (sum, d) => sum + facts.StoredBlobs.Find(d).IfNone(0L));
        return new BlobGcOutcome(deleted, removedRefs, bytes, "");
    }
}
