using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// <c>oci-archive:FILE[:REF]</c> and <c>oci-archive:FILE@DIGEST</c>: a tar (plain or gzipped) of an OCI image layout,
/// as <c>skopeo copy … oci-archive:FILE</c> writes it. The archive is not unpacked: one pass indexes its members, then
/// only <c>oci-layout</c>, <c>index.json</c> and the blobs the chosen image needs are read, in place for a plain tar
/// (<see cref="ArchiveIndex"/>). A gzipped archive spools just those members to a private directory under the system
/// temp directory, deleted afterwards, also on error.
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
        // The host's scratch directory lives in its state directory (collected after a crash); older hosts give none.
        var temp = request.ScratchDirectory is { } scratch
            ? Directory.CreateDirectory(Path.Combine(scratch, "imagecache-oci-archive")) // inside a 0700 directory
            : Directory.CreateTempSubdirectory("imagecache-oci-archive-"); // mode 0700
        try
        {
            if (Directory.Exists(location.Path))
                throw new ImageSourceException($"{source}: is a directory, not an archive (use oci:{location.Path})");
            var archive = await ArchiveIndex.OpenAsync(location.Path, source, temp.FullName, cancellationToken).ConfigureAwait(false);
            var reader = new OciLayoutReader(new ArchiveLayoutSource(archive), source, request);
            return await reader.FetchAsync(location.Reference, location.Digest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try { temp.Delete(recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
