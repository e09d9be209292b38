using ImageCache.Contracts;

namespace ImageCache.Host.Plugins;

/// <summary>Where <see cref="PluginRegistry"/> gets the services of admitted plugins: one container, or plugins loaded on demand.</summary>
internal interface IPluginServices : IDisposable
{
    IImageFetcher Fetcher(FetcherDescriptor fetcher);

    IFilesystemBuilder Builder(BuilderDescriptor builder);

    IArtifactRegistry? ArtifactRegistry(string key);

    /// <summary>Writes the plugin cache if it could not be written when the plugins were opened (no state directory yet).</summary>
    void SaveCache();
}
