using ImageCache.Contracts;

namespace ImageCache.Fixtures.WrongContract;

[Fetcher("wrong-contract")]
public sealed class FutureFetcher : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        throw new ImageSourceException("FutureFetcher cannot fetch " + request.Location);
}
