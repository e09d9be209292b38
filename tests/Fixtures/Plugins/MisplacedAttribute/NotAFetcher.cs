using ImageCache.Contracts;

namespace ImageCache.Fixtures.MisplacedAttribute;

// Has [Fetcher] but does not implement IImageFetcher.
[Fetcher("not-a-fetcher")]
public sealed class NotAFetcher
{
    public string Describe() => "not a fetcher";
}
