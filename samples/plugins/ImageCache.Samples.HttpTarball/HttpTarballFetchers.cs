using ImageCache.Contracts;

namespace ImageCache.Samples.HttpTarball;

/// <summary><c>http://HOST/PATH.tar[.gz|.zst][#sha256=HEX&amp;max-bytes=N]</c>: a root filesystem tarball as a one-layer image.</summary>
[Fetcher("http", Description = "root filesystem tarball (.tar, .tar.gz, .tar.zst) over HTTP; #sha256=HEX pins it")]
public sealed class HttpTarballFetcher(TarballImporter importer) : IImageFetcher
{
    /// <inheritdoc />
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        importer.ImportAsync("http", request, cancellationToken);
}

/// <summary><c>https://HOST/PATH.tar[.gz|.zst][#sha256=HEX&amp;max-bytes=N]</c>: as <see cref="HttpTarballFetcher"/>, over TLS.</summary>
[Fetcher("https", Description = "root filesystem tarball (.tar, .tar.gz, .tar.zst) over HTTPS; #sha256=HEX pins it")]
public sealed class HttpsTarballFetcher(TarballImporter importer) : IImageFetcher
{
    /// <inheritdoc />
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken) =>
        importer.ImportAsync("https", request, cancellationToken);
}
