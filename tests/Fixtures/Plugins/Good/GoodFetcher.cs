using ImageCache.Contracts;

namespace ImageCache.Fixtures.Good;

// Internal on purpose: the host must find non-public implementations too.
[Fetcher("fixture-good", Description = "Echoes the request back")]
internal sealed class GoodFetcher(FixtureStamp stamp) : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        if (request.Location.Length == 0)
        {
            throw new ImageSourceException("fixture-good: empty location");
        }

        var platform = request.Platform ?? new PlatformSpec("linux", "amd64");
        return Task.FromResult(new FetchedImage(
            $"fixture-good:{request.Location}#{stamp.Text}",
            "sha256:" + new string('0', 64),
            null,
            platform,
            "sha256:" + new string('1', 64),
            []));
    }
}
