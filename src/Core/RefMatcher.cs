using System;
using System.Collections.Generic;
using System.Diagnostics.Contracts;
using System.Linq;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>How a reference the user typed finds records (DESIGN §4; the seed's <c>MatchesRef</c>).</summary>
public static class RefMatcher
{
    /// <summary>Digest prefixes shorter than this are not accepted (the list view shows 12).</summary>
    public const int MinimumPrefixLength = 12;

    /// <summary>
    /// True when <paramref name="reference"/> names <paramref name="record"/> by name or full digest: it equals
    /// <c>image_ref</c>, <c>resolved_ref</c>, <c>digest</c> or <c>index_digest</c>; or its canonical form equals the
    /// record's; or it is <c>repository@digest</c> for the record's repository and manifest or index digest.
    /// Digest prefixes are not considered here (they need the whole index to be unambiguous: <see cref="Find"/>).
    /// </summary>
    [Pure]
    public static bool MatchesRef(ImageRecord record, string reference)
    {
        var text = reference.Trim();
        if (text.Length == 0) return false;
        var parsed = ImageRef.Parse(text).ToOption();
        var wanted = parsed.IsSome ? (ImageRef)parsed : null;
        return Matches(record, text, wanted, wanted?.ToString() ?? "", WantedDigest(wanted));
    }

    // The reference is parsed once by the caller: Find runs this over every record of the index, so the wanted
    // reference's parts arrive as plain values (no Option matching or closures per record).
    static bool Matches(ImageRecord record, string text, ImageRef? wanted, string wantedCanonical, string wantedDigest)
    {
        if (text == record.ImageRef || text == record.ResolvedRef || text == record.Digest ||
            (record.IndexDigest.Length > 0 && text == record.IndexDigest))
            return true;
        if (wanted is null) return false;
        var canonical = record.EffectiveCanonicalRef;
        if (canonical.Length > 0 && canonical == wantedCanonical) return true;
        if (wantedDigest.Length == 0 || (wantedDigest != record.Digest && wantedDigest != record.IndexDigest)) return false;
        return RecordNames(record).Any(name => name == wanted.Name);
    }

    /// <summary>
    /// The records <paramref name="reference"/> names, in index order. Names and full digests win; otherwise a
    /// hex string of at least 12 digits (with or without <c>sha256:</c>) matches records whose manifest or index
    /// digest starts with it, and must single out one digest. No match is <see cref="ErrorCodes.ImageNotFound"/>;
    /// a prefix of several digests is <see cref="ErrorCodes.AmbiguousReference"/>, listing the candidates.
    /// </summary>
    [Pure]
    public static Fin<Seq<ImageRecord>> Find(ImageIndex index, string reference)
    {
        var text = reference.Trim();
        if (text.Length == 0) return CoreErrors.Missing("image reference");
        var parsed = ImageRef.Parse(text);
        var wanted = parsed.IsSucc ? (ImageRef)parsed : null;
        var wantedCanonical = wanted?.ToString() ?? ""; // printed once, not once per record
        var wantedDigest = WantedDigest(wanted);
        var named = new List<ImageRecord>();
        foreach (var record in index.Images.ToArray())
            if (Matches(record, text, wanted, wantedCanonical, wantedDigest)) named.Add(record);
        if (named.Count > 0) return FinSucc(named.ToArray().ToSeq().Strict());

        var prefix = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        if (prefix.Length < MinimumPrefixLength || prefix.Length > 64 || !Digest.IsLowerHex(prefix))
        {
            // A malformed reference says why it matched nothing, rather than just "not found".
            return parsed.IsFail ? parsed.Map(_ => LanguageExt.Seq<ImageRecord>.Empty) : CoreErrors.ImageNotFound(text);
        }

        var byPrefix = index.Images.Filter(r => HasDigestPrefix(r.Digest, prefix) || HasDigestPrefix(r.IndexDigest, prefix)).Strict();
        if (byPrefix.IsEmpty) return CoreErrors.ImageNotFound(text);
        var digests = byPrefix.Map(r => HasDigestPrefix(r.Digest, prefix) ? r.Digest : r.IndexDigest).Distinct().Strict();
        if (digests.Count > 1)
        {
            var candidates = string.Join(", ", byPrefix.Map(r => $"{r.ImageRef} ({r.Digest})").Distinct());
            return Error.New(ErrorCodes.AmbiguousReference,
                $"digest prefix \"{text}\" is ambiguous; it matches {candidates}");
        }
        return FinSucc(byPrefix);
    }

    /// <summary>The digest the wanted reference pins (<c>name@sha256:…</c>), or "" when none.</summary>
    static string WantedDigest(ImageRef? wanted) => wanted is null ? "" : wanted.Digest.Match(d => d.ToString(), () => "");

    static bool HasDigestPrefix(string digest, string prefix) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.AsSpan(7).StartsWith(prefix, StringComparison.Ordinal);

    static Seq<string> RecordNames(ImageRecord record) =>
        Seq(record.EffectiveCanonicalRef, record.ResolvedRef)
            .Choose(text => ImageRef.Parse(text).Map(r => r.Name).ToOption());
}
