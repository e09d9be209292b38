namespace ImageCache.Contracts;

/// <summary>
/// Resolves an image source (a registry reference, an OCI layout, an archive, a root filesystem) to one
/// platform image whose manifest, config and layers are in the host's blob store.
/// </summary>
/// <remarks>Implementations are singletons and must be safe to call concurrently.</remarks>
public interface IImageFetcher
{
    /// <summary>Resolves <see cref="FetchRequest.Location"/> and puts every blob the image needs into <see cref="FetchRequest.Blobs"/>.</summary>
    /// <exception cref="ImageSourceException">The source is invalid, unreachable or inconsistent; the message is shown to the user as is.</exception>
    Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken);
}
