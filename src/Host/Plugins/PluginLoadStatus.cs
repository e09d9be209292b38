namespace ImageCache.Host.Plugins;

/// <summary>What became of one plugin folder.</summary>
public enum PluginLoadStatus
{
    /// <summary>Validated; its fetchers and builders are in the container.</summary>
    Loaded,

    /// <summary>Not a plugin, or a duplicate of one already loaded; nothing was registered.</summary>
    Skipped,

    /// <summary>A plugin that could not be used; nothing was registered.</summary>
    Failed,
}
