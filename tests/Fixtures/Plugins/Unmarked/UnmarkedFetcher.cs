using ImageCache.Contracts;

namespace ImageCache.Fixtures.Unmarked;

// Implements the interface but forgot [Fetcher]: the host cannot know its transport.
public sealed class UnmarkedFetcher : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        throw new ImageSourceException("unmarked");
}
