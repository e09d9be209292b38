using ImageCache.Contracts;

namespace ImageCache.Fixtures.ClashB;

[Fetcher("fixture-clash")]
public sealed class SecondClashFetcher : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        throw new ImageSourceException("SecondClashFetcher cannot fetch " + request.Location);
}
