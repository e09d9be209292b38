using ImageCache.Contracts;

namespace ImageCache.Fixtures.ClashA;

[Fetcher("fixture-clash")]
public sealed class FirstClashFetcher : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        throw new ImageSourceException("FirstClashFetcher cannot fetch " + request.Location);
}
