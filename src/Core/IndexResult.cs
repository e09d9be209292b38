using LanguageExt;

namespace ImageCache.Core;

/// <summary>What a command answers.</summary>
public abstract record IndexResult
{
    IndexResult() { }

    /// <summary>The records written or touched.</summary>
    public sealed record Records(Seq<ImageRecord> Items) : IndexResult;

    /// <summary>The outcome of a Remove or Prune.</summary>
    public sealed record Pruned(PruneResult Outcome) : IndexResult;
}
