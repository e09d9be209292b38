using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Contracts;

/// <summary>
/// Optional entry point of a plugin: registers the services its fetchers and builders depend on
/// (an <c>HttpClient</c>, options, caches). Fetchers and builders themselves are found by scanning the
/// plugin's own assembly for classes marked with <see cref="FetcherAttribute"/> or <see cref="BuilderAttribute"/>.
/// </summary>
/// <remarks>The class needs a public parameterless constructor. An exception thrown here refuses the whole plugin.</remarks>
public interface IImageCachePlugin
{
    /// <summary>Adds the plugin's supporting services to the host container.</summary>
    void Register(IServiceCollection services);
}
