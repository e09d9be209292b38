using System;
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
        return Matches(record, text, parsed, parsed.Map(r => r.ToString()).IfNone(""));
    }

    // The reference is parsed once by the caller: Find runs this over every record of the index.
    static bool Matches(ImageRecord record, string text, Option<ImageRef> parsed, string wantedCanonical)
    {
        if (text == record.ImageRef || text == record.ResolvedRef || text == record.Digest ||
            (record.IndexDigest.Length > 0 && text == record.IndexDigest))
            return true;
        if (parsed.IsNone) return false;
        var wanted = (ImageRef)parsed;
        var canonical = record.EffectiveCanonicalRef;
        if (canonical.Length > 0 && canonical == wantedCanonical) return true;
        return wanted.Digest.Match(
            digest =>
            {
                var d = digest.ToString();
                if (d != record.Digest && d != record.IndexDigest) return false;
                return RecordNames(record).Any(name => name == wanted.Name);
            },
            () => false);
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
        var wanted = parsed.ToOption();
        var wantedCanonical = wanted.Map(r => r.ToString()).IfNone(""); // printed once, not once per record
        var named = index.Images.Filter(r => Matches(r, text, wanted, wantedCanonical)).Strict();
        if (!named.IsEmpty) return FinSucc(named);

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

    static bool HasDigestPrefix(string digest, string prefix) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.AsSpan(7).StartsWith(prefix, StringComparison.Ordinal);

    static Seq<string> RecordNames(ImageRecord record) =>
        Seq(record.EffectiveCanonicalRef, record.ResolvedRef)
            .Choose(text => ImageRef.Parse(text).Map(r => r.Name).ToOption());
}
