using ImageCache.Contracts;

namespace ImageCache.Fixtures.ThrowsInRegister;

[Fetcher("throws-in-register")]
public sealed class RefusedFetcher : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        throw new ImageSourceException("RefusedFetcher cannot fetch " + request.Location);
}
