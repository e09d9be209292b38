using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Samples.HttpTarball;

/// <summary>
/// The plugin's entry point: registers what the fetchers need. The fetchers themselves are found by the host
/// through their <c>[Fetcher]</c> attributes and get <see cref="TarballImporter"/> through their constructors.
/// </summary>
public sealed class HttpTarballPlugin : IImageCachePlugin
{
    /// <inheritdoc />
    public void Register(IServiceCollection services) => services.AddSingleton<TarballImporter>();
}
