namespace ImageCache.Contracts;

/// <summary>Writes a filesystem image from the final, already merged entries of an image.</summary>
/// <remarks>
/// Order guarantee given by the host: every path appears once; a directory comes before its children;
/// a hard link comes after the file it names. Builders never see layers or whiteouts.
/// Implementations are singletons and must be safe to call concurrently.
/// </remarks>
public interface IFilesystemBuilder
{
    /// <summary>Writes <see cref="BuildRequest.OutputPath"/> from <paramref name="entries"/>.</summary>
    /// <exception cref="FilesystemBuildException">The image cannot be written (too small, a tool failed); the message is shown to the user as is.</exception>
    Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken);
}
