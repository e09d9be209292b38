using LanguageExt;

namespace ImageCache.Core.Planning;

/// <summary>What the host probed about the machine it runs on, once per run, for <see cref="BuilderPlanner"/>.</summary>
/// <param name="Os">The host operating system as builders declare it: <c>linux</c>, <c>osx</c> or <c>windows</c>.</param>
/// <param name="Architecture">The host architecture with Go names (<c>amd64</c>, <c>arm64</c>); shown in refusals.</param>
/// <param name="ToolsOnPath">The external programs that were found on <c>PATH</c> (only those that were asked about).</param>
public sealed record HostFacts(string Os, string Architecture, Seq<string> ToolsOnPath)
{
    /// <summary>True when <paramref name="tool"/> was found on <c>PATH</c>.</summary>
    public bool HasTool(string tool) => ToolsOnPath.Exists(t => string.Equals(t, tool, System.StringComparison.Ordinal));
}
