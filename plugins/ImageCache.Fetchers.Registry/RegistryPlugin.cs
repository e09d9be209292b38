using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Fetchers.Registry;

/// <summary>Registers <see cref="RegistryArtifactRegistry"/>, the registry side of fleet sharing, under the <c>docker</c> transport.</summary>
public sealed class RegistryPlugin : IImageCachePlugin
{
    /// <inheritdoc />
    public void Register(IServiceCollection services) =>
        services.AddKeyedSingleton<IArtifactRegistry>(RegistryFetcher.Transport, (_, _) => new RegistryArtifactRegistry());
}
