using ImageCache.Host.Plugins;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ImageCache plugins.</summary>
public static class PluginServiceCollectionExtensions
{
    /// <summary>
    /// Loads the plugins in <paramref name="directories"/> (see <see cref="PluginCatalog"/>), registers their
    /// fetchers and builders keyed by transport and builder name, and registers the
    /// <see cref="PluginLoadReport"/> and a <see cref="PluginRegistry"/> as singletons. Call once.
    /// </summary>
    public static IServiceCollection AddImageCachePlugins(
        this IServiceCollection services, IEnumerable<string> directories, out PluginLoadReport report)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(directories);
        var loaded = new PluginCatalog(directories).LoadInto(services);
        services.AddSingleton(loaded);
        services.AddSingleton(provider => new PluginRegistry(loaded, provider));
        report = loaded;
        return services;
    }
}
