using ImageCache.Contracts;
using ImageCache.Fixtures.AbsentLibrary;

namespace ImageCache.Fixtures.MissingDependency;

// Deriving from a type of the absent library makes the type itself unloadable, not just one of its methods.
[Fetcher("missing-dependency")]
public sealed class DependentFetcher : AbsentBase, IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        throw new ImageSourceException(Origin);
}
