namespace ImageCache.Host.Plugins;

/// <summary>Ends the inspection of one plugin; <see cref="PluginCatalog"/> turns it into a report entry.</summary>
internal sealed class PluginRefusedException(PluginLoadStatus status, string reason) : Exception(reason)
{
    public PluginLoadStatus Status { get; } = status;

    public static PluginRefusedException Failed(string reason) => new(PluginLoadStatus.Failed, reason);

    public static PluginRefusedException Skipped(string reason) => new(PluginLoadStatus.Skipped, reason);
}
