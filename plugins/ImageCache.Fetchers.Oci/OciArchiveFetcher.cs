using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// <c>oci-archive:FILE[:REF]</c> and <c>oci-archive:FILE@DIGEST</c>: a tar (plain or gzipped) of an OCI image layout,
/// as <c>skopeo copy … oci-archive:FILE</c> writes it. The layout's parts are extracted in one streaming pass into a
/// private directory under the system temp directory, read like <c>oci:</c>, and deleted afterwards, also on error.
/// </summary>
[Fetcher("oci-archive", Description = "Tar of an OCI image layout: oci-archive:FILE[:REF]")]
internal sealed class OciArchiveFetcher : IImageFetcher
{
    public const string Transport = "oci-archive";

    public async Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var location = SourceLocation.Parse(request.Location, File.Exists, Transport);
        var source = $"{Transport}:{location.Path}";
        var temp = Directory.CreateTempSubdirectory("imagecache-oci-archive-"); // mode 0700
        try
        {
            await OciArchiveExtractor.ExtractAsync(location.Path, temp.FullName, source, cancellationToken).ConfigureAwait(false);
            var reader = new OciLayoutReader(temp.FullName, source, request);
            return await reader.FetchAsync(location.Reference, location.Digest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try { temp.Delete(recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
