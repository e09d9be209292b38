using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Fixtures.Good;

public sealed class GoodPlugin : IImageCachePlugin
{
    public void Register(IServiceCollection services) => services.AddSingleton<FixtureStamp>();
}
