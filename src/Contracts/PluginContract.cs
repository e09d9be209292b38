namespace ImageCache.Contracts;

/// <summary>The version of the plugin contract this assembly defines.</summary>
/// <remarks>
/// A plugin states the version it was compiled against with
/// <c>[assembly: ImageCachePlugin(PluginContract.Version)]</c>. Because <see cref="Version"/> is a
/// constant, the number is baked into the plugin at compile time, so the host can refuse a plugin built
/// against a contract it does not implement instead of failing later with a missing method.
/// </remarks>
public static class PluginContract
{
    /// <summary>The contract version. Bumped on every breaking change to this assembly.</summary>
    public const int Version = 1;
}
