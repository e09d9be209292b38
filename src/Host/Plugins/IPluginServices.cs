using ImageCache.Contracts;

namespace ImageCache.Host.Plugins;

/// <summary>Where <see cref="PluginRegistry"/> gets the services of admitted plugins: one container, or plugins loaded on demand.</summary>
internal interface IPluginServices : IDisposable
{
    IImageFetcher Fetcher(FetcherDescriptor fetcher);

    IFilesystemBuilder Builder(BuilderDescriptor builder);

    IArtifactRegistry? ArtifactRegistry(string key);
}
