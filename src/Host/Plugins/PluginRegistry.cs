using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Plugins;

/// <summary>The fetchers and builders the loaded plugins provide, and their services by key.</summary>
public sealed class PluginRegistry(PluginLoadReport report, IServiceProvider services)
{
    /// <summary>The load report the registry was built from.</summary>
    public PluginLoadReport Report { get; } = report;

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
        if (FindFetcher(transport) is null)
        {
            throw new PluginServiceNotFoundException(
                $"no fetcher for transport '{transport}'; known transports: {Known(Fetchers.Select(f => f.Transport))}");
        }

        return services.GetRequiredKeyedService<IImageFetcher>(transport);
    }

    /// <summary>The builder named <paramref name="name"/>.</summary>
    /// <exception cref="PluginServiceNotFoundException">No plugin provides that builder.</exception>
    public IFilesystemBuilder GetBuilder(string name)
    {
        if (FindBuilder(name) is null)
        {
            throw new PluginServiceNotFoundException(
                $"no builder named '{name}'; known builders: {Known(Builders.Select(b => b.Name))}");
        }

        return services.GetRequiredKeyedService<IFilesystemBuilder>(name);
    }

    private static string Known(IEnumerable<string> keys)
    {
        var sorted = keys.Order(StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? "(none; no plugin provides one)" : string.Join(", ", sorted);
    }
}
