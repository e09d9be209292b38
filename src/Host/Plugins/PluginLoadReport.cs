namespace ImageCache.Host.Plugins;

/// <summary>What plugin discovery found, in load order; shown by <c>imagecache plugins</c>.</summary>
/// <param name="Directories">The plugin directories searched, in order (missing ones included).</param>
/// <param name="Entries">One entry per plugin folder, in load order.</param>
public sealed record PluginLoadReport(IReadOnlyList<string> Directories, IReadOnlyList<PluginLoadEntry> Entries)
{
    /// <summary>Every registered fetcher, in load order.</summary>
    public IReadOnlyList<FetcherDescriptor> Fetchers { get; } = [.. Entries.SelectMany(e => e.Fetchers)];

    /// <summary>Every registered builder, in load order.</summary>
    public IReadOnlyList<BuilderDescriptor> Builders { get; } = [.. Entries.SelectMany(e => e.Builders)];
}
