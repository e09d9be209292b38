using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Plugins;

/// <summary>The services of plugins loaded eagerly into one container (<see cref="PluginCatalog.LoadInto"/>); the container owns them.</summary>
internal sealed class ContainerPluginServices(IServiceProvider services) : IPluginServices
{
    public IImageFetcher Fetcher(FetcherDescriptor fetcher) => services.GetRequiredKeyedService<IImageFetcher>(fetcher.Transport);

    public IFilesystemBuilder Builder(BuilderDescriptor builder) => services.GetRequiredKeyedService<IFilesystemBuilder>(builder.Name);

    public IArtifactRegistry? ArtifactRegistry(string key) => services.GetKeyedService<IArtifactRegistry>(key);

    public void SaveCache()
    {
        // Nothing cached: every plugin was loaded.
    }

    public void Dispose()
    {
        // The container disposes the plugins' services (and this registry with them).
    }
}
