using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Fixtures.ThrowsInRegister;

public sealed class ThrowingPlugin : IImageCachePlugin
{
    public void Register(IServiceCollection services) =>
        throw new InvalidOperationException("fixture refuses to register");
}
