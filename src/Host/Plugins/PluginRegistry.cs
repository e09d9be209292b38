using ImageCache.Contracts;

namespace ImageCache.Host.Plugins;

/// <summary>
/// The fetchers and builders the loaded plugins provide, and their services by key: from one container
/// (<see cref="PluginCatalog.LoadInto"/>), or loading each plugin when it is first needed (<see cref="PluginCatalog.Open"/>).
/// </summary>
public sealed class PluginRegistry : IDisposable
{
    private readonly IPluginServices _services;

    /// <summary>A registry over plugins already registered in <paramref name="services"/> (the container owns them).</summary>
    public PluginRegistry(PluginLoadReport report, IServiceProvider services)
        : this(report, new ContainerPluginServices(services))
    {
    }

    internal PluginRegistry(PluginLoadReport report, IPluginServices services)
    {
        Report = report;
        _services = services;
    }

    /// <summary>The load report the registry was built from.</summary>
    public PluginLoadReport Report { get; }

    /// <summary>How the services are obtained (tests look at which plugins a lazy registry loaded).</summary>
    internal IPluginServices Services => _services;

    /// <summary>Every registered fetcher, in load order.</summary>
    public IReadOnlyList<FetcherDescriptor> Fetchers => Report.Fetchers;

    /// <summary>Every registered builder, in load order.</summary>
    public IReadOnlyList<BuilderDescriptor> Builders => Report.Builders;

    /// <summary>The fetcher registered for <paramref name="transport"/>, or null.</summary>
    public FetcherDescriptor? FindFetcher(string transport) =>
        Fetchers.FirstOrDefault(f => string.Equals(f.Transport, transport, StringComparison.Ordinal));

    /// <summary>The builder registered as <paramref name="name"/>, or null.</summary>
    public BuilderDescriptor? FindBuilder(string name) =>
        Builders.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.Ordinal));

    /// <summary>The fetcher for <paramref name="transport"/>.</summary>
    /// <exception cref="PluginServiceNotFoundException">No plugin provides that transport.</exception>
    public IImageFetcher GetFetcher(string transport)
    {
        var fetcher = FindFetcher(transport) ?? throw new PluginServiceNotFoundException(
            $"no fetcher for transport '{transport}'; known transports: {Known(Fetchers.Select(f => f.Transport))}");
        return _services.Fetcher(fetcher);
    }

    /// <summary>The builder named <paramref name="name"/>.</summary>
    /// <exception cref="PluginServiceNotFoundException">No plugin provides that builder.</exception>
    public IFilesystemBuilder GetBuilder(string name)
    {
        var builder = FindBuilder(name) ?? throw new PluginServiceNotFoundException(
            $"no builder named '{name}'; known builders: {Known(Builders.Select(b => b.Name))}");
        return _services.Builder(builder);
    }

    /// <summary>The <see cref="IArtifactRegistry"/> a plugin registered under <paramref name="key"/> (the last one), or null.</summary>
    /// <exception cref="PluginServiceNotFoundException">The plugin that registered it could not be loaded.</exception>
    public IArtifactRegistry? FindArtifactRegistry(string key) => _services.ArtifactRegistry(key);

    /// <summary>
    /// Writes the plugin cache of a lazy registry if opening could not (the state directory did not exist yet); call
    /// once the state directory exists. Nothing for a registry over a container.
    /// </summary>
    public void SaveCache() => _services.SaveCache();

    /// <summary>Disposes the plugins a lazy registry loaded; nothing for a registry over a container.</summary>
    public void Dispose() => _services.Dispose();

    private static string Known(IEnumerable<string> keys)
    {
        var sorted = keys.Order(StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? "(none; no plugin provides one)" : string.Join(", ", sorted);
    }
}
