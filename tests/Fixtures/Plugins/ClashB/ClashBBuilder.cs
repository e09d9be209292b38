using ImageCache.Contracts;

namespace ImageCache.Fixtures.ClashB;

/// <summary>The part of ClashB that clashes with nothing, so the plugin still loads without its fetcher.</summary>
[Builder("fixture-clash-b", "none")]
public sealed class ClashBBuilder : IFilesystemBuilder
{
    public Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken) =>
        Task.FromResult(new BuildResult(0, 0));
}
