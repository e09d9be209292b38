using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>Where an OCI layout's files are read from: a directory (<c>oci:</c>) or an archive read in place (<c>oci-archive:</c>).</summary>
internal interface ILayoutSource
{
    /// <summary>Throws when the layout's root does not exist or is not the right kind of thing.</summary>
    void CheckRoot(string source);

    /// <summary>What the layout file <paramref name="relative"/> (<c>index.json</c>, <c>blobs/sha256/HEX</c>) is.</summary>
    LayoutFiles.Kind KindOf(string relative);

    /// <summary>Reads a small layout file whole (at most <paramref name="limit"/> bytes).</summary>
    Task<byte[]> ReadSmallAsync(string relative, string what, long limit, CancellationToken cancellationToken);

    /// <summary>Opens a layout file, after checking it is a regular file.</summary>
    Task<Stream> OpenAsync(string relative, string what, CancellationToken cancellationToken);

    /// <summary>Says which files will be opened next, so an archive that cannot seek reads them in one pass.</summary>
    Task PrefetchAsync(IEnumerable<string> relatives, CancellationToken cancellationToken);
}

/// <summary>A layout directory on disk; symlinks, FIFOs and devices are refused (<see cref="LayoutFiles"/>).</summary>
internal sealed class DirectoryLayoutSource(string layoutDir) : ILayoutSource
{
    public void CheckRoot(string source)
    {
        if (!Directory.Exists(layoutDir))
            throw new ImageSourceException(File.Exists(layoutDir) ? $"{source}: not a directory" : $"{source}: no such directory");
    }

    public LayoutFiles.Kind KindOf(string relative) => LayoutFiles.KindOf(Path.Combine(layoutDir, relative));

    public Task<byte[]> ReadSmallAsync(string relative, string what, long limit, CancellationToken cancellationToken) =>
        LayoutFiles.ReadSmallAsync(Path.Combine(layoutDir, relative), what, limit, cancellationToken);

    public Task<Stream> OpenAsync(string relative, string what, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(LayoutFiles.OpenRegular(Path.Combine(layoutDir, relative), what));

    public Task PrefetchAsync(IEnumerable<string> relatives, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A layout inside an archive, read member by member (<see cref="ArchiveIndex"/>).</summary>
internal sealed class ArchiveLayoutSource(ArchiveIndex archive) : ILayoutSource
{
    public void CheckRoot(string source) { }

    public LayoutFiles.Kind KindOf(string relative) => archive.KindOf(relative);

    public Task<byte[]> ReadSmallAsync(string relative, string what, long limit, CancellationToken cancellationToken) =>
        archive.ReadSmallAsync(relative, what, limit, cancellationToken);

    public Task<Stream> OpenAsync(string relative, string what, CancellationToken cancellationToken) =>
        archive.OpenAsync(relative, what, cancellationToken);

    public Task PrefetchAsync(IEnumerable<string> relatives, CancellationToken cancellationToken) =>
        archive.PrefetchAsync(relatives.Where(r => archive.KindOf(r) != LayoutFiles.Kind.Missing), cancellationToken);
}
