using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// <c>docker-archive:FILE[:REF]</c> and <c>docker-archive:FILE@DIGEST</c>: a <c>docker save</c> tar (plain or gzipped),
/// legacy or Docker 25+ (oci-rules §3.8). Only the root <c>manifest.json</c> and the paths it names are read. REF is a
/// <c>RepoTags</c> entry (<c>busybox</c> means <c>busybox:latest</c>); DIGEST is the synthesised manifest digest (the
/// one in our resolved references) or the image ID (config digest). See <see cref="DockerArchiveReader"/>.
/// </summary>
[Fetcher("docker-archive", Description = "docker save tarball: docker-archive:FILE[:REF]")]
internal sealed class DockerArchiveFetcher : IImageFetcher
{
    public const string Transport = "docker-archive";

    public async Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var location = ParseLocation(request.Location);
        var source = $"{Transport}:{location.Path}";
        // The host's scratch directory lives in its state directory (collected after a crash); older hosts give none.
        var temp = request.ScratchDirectory is { } scratch
            ? Directory.CreateDirectory(Path.Combine(scratch, "imagecache-docker-archive")) // inside a 0700 directory
            : Directory.CreateTempSubdirectory("imagecache-docker-archive-"); // mode 0700
        try
        {
            var reader = new DockerArchiveReader(location.Path, temp.FullName, source, request);
            return await reader.FetchAsync(location.Reference, location.Digest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try { temp.Delete(recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Splits <c>FILE[:REF]</c> / <c>FILE@DIGEST</c>. REF itself usually holds a colon (<c>busybox:1.36</c>), so the
    /// split is at the <b>first</b> colon whose prefix is an existing file; a location that is itself an existing file
    /// has no REF; otherwise the whole location is the path (and fails as a missing file).
    /// </summary>
    public static SourceLocation ParseLocation(string location)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new ImageSourceException($"{Transport}: no path given (expected {Transport}:FILE[:REF])");
        if (location.Contains('\0'))
            throw new ImageSourceException($"{Transport}: the path contains a NUL character");

        var at = location.LastIndexOf('@');
        if (at > 0 && Digests.IsValid(location[(at + 1)..]) && File.Exists(location[..at]))
            return new SourceLocation(Full(location[..at]), null, location[(at + 1)..]);
        if (File.Exists(location)) return new SourceLocation(Full(location), null, null);
        for (var colon = location.IndexOf(':'); colon > 0; colon = location.IndexOf(':', colon + 1))
        {
            if (colon + 1 < location.Length && File.Exists(location[..colon]))
                return new SourceLocation(Full(location[..colon]), location[(colon + 1)..], null);
        }
        return new SourceLocation(Full(location), null, null);
    }

    static string Full(string path) => Path.GetFullPath(path);
}
