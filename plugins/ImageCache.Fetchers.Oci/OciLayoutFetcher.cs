using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// <c>oci:DIR[:REF]</c> and <c>oci:DIR@DIGEST</c>: an OCI image layout on disk (written by skopeo, buildah, umoci,
/// <c>docker buildx --output type=oci</c>). REF is an <c>org.opencontainers.image.ref.name</c> of <c>index.json</c>;
/// without one the layout must hold a single image. See <see cref="SourceLocation.Parse"/> for how DIR and REF are split.
/// </summary>
[Fetcher("oci", Description = "OCI image layout directory: oci:DIR[:REF]")]
internal sealed class OciLayoutFetcher : IImageFetcher
{
    public const string Transport = "oci";

    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var location = SourceLocation.Parse(request.Location, Directory.Exists, Transport);
        var reader = new OciLayoutReader(new DirectoryLayoutSource(location.Path), $"{Transport}:{location.Path}", request);
        return reader.FetchAsync(location.Reference, location.Digest, cancellationToken);
    }
}
