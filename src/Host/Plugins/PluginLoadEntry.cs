namespace ImageCache.Host.Plugins;

/// <summary>The outcome for one plugin folder.</summary>
/// <param name="Name">The folder name, which is also the plugin's assembly name.</param>
/// <param name="Path">The plugin's main assembly, or the folder when there is none.</param>
/// <param name="Status">Loaded, skipped or failed.</param>
/// <param name="Reason">
/// Why it was skipped or failed; for a loaded plugin, the services that were refused because an earlier
/// plugin already provides their key (null when nothing was refused).
/// </param>
/// <param name="Fetchers">The fetchers registered from this plugin (empty unless loaded).</param>
/// <param name="Builders">The builders registered from this plugin (empty unless loaded).</param>
public sealed record PluginLoadEntry(
    string Name,
    string Path,
    PluginLoadStatus Status,
    string? Reason,
    IReadOnlyList<FetcherDescriptor> Fetchers,
    IReadOnlyList<BuilderDescriptor> Builders)
{
    internal static PluginLoadEntry Skipped(string name, string path, string reason) =>
        new(name, path, PluginLoadStatus.Skipped, reason, [], []);

    internal static PluginLoadEntry Failed(string name, string path, string reason) =>
        new(name, path, PluginLoadStatus.Failed, reason, [], []);
}
