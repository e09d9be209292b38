using ImageCache.Core;
using LanguageExt;
using LanguageExt.Common;
using Xunit.Sdk;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

/// <summary>Assertions over <see cref="Fin{A}"/> and small builders for hand-written index scenarios.</summary>
static class Support
{
    public const string StoreDir = Gens.StoreDir;
    public static readonly Platform Amd64 = new("linux", "amd64");
    public static readonly Platform Arm64 = new("linux", "arm64");
    public static readonly DateTimeOffset Epoch = Gens.Epoch;

    /// <summary>Digests with recognisable tails.</summary>
    public const string DigestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    public const string DigestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    public const string DigestC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    public const string IndexDigestE = "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

    public static T Succ<T>(Fin<T> fin) =>
        fin.Match(x => x, e => throw new XunitException($"expected success, got error {e.Code}: {e.Message}"));

    public static Error Fail<T>(Fin<T> fin) =>
        fin.Match(x => throw new XunitException($"expected an error, got {x}"), e => e);

    /// <summary>True when the text is a whole sha256/sha512 digest (a Tag target that is refused).</summary>
    public static bool IsShaDigest(string text) => Digest.Parse(text).Map(d => d.Algorithm is "sha256" or "sha512").IfFail(false);

    /// <summary>A sealed baseline record as Pull writes it.</summary>
    public static ImageRecord Baseline(string imageRef, string outputPath, string digest = DigestA, Platform? platform = null,
        Option<DateTimeOffset> lastUsed = default, string indexDigest = "")
    {
        var canonical = ImageRef.CanonicalOf(imageRef).IfNone("");
        return new ImageRecord
        {
            ImageRef = imageRef,
            CanonicalRef = canonical,
            ResolvedRef = canonical.Length > 0 ? ImageRef.Parse(canonical).Map(r => r.Name).IfFail("") + "@" + digest : "",
            Digest = digest,
            IndexDigest = indexDigest,
            Platform = platform ?? Amd64,
            OutputPath = outputPath,
            LastUsedAt = lastUsed,
            RootfsImmutable = true,
            Format = "ext4",
            Builder = "ext4",
        };
    }

    /// <summary>An index holding the records, as a sequence of upserts would leave it.</summary>
    public static ImageIndex IndexOf(params ImageRecord[] records) =>
        records.Aggregate(ImageIndex.Empty, (index, record) => Succ(Index.Reduce(index, new IndexCommand.Upsert(record))).Index);

    public static Reduction Reduce(ImageIndex index, IndexCommand command) => Succ(Index.Reduce(index, command));

    public static PruneResult Outcome(Reduction reduction) => reduction.Result switch
    {
        IndexResult.Pruned p => p.Outcome,
        var other => throw new XunitException($"expected a prune result, got {other}"),
    };

    public static Seq<ImageRecord> Items(Reduction reduction) => reduction.Result switch
    {
        IndexResult.Records r => r.Items,
        var other => throw new XunitException($"expected records, got {other}"),
    };

    public static string[] DeletedPaths(Reduction reduction) =>
        reduction.Effects.Map(e => e switch
        {
            IndexEffect.DeleteFile d => d.Path,
            _ => throw new XunitException($"unexpected effect {e}"),
        }).ToArray();

    /// <summary>Facts where every path resolves to itself and exists.</summary>
    public static StoreFacts Existing(params string[] paths) => Gens.FactsOf(paths.Select(p => (p, p, true)));

    public static Option<DateTimeOffset> At(double days) => Some(Epoch.AddDays(days));

    /// <summary>Records in a canonical order, for set comparisons.</summary>
    public static ImageRecord[] Sorted(IEnumerable<ImageRecord> records) => RecordOrder.Sort(toSeq(records.ToArray())).ToArray();
}
