using ImageCache.Contracts;

namespace ImageCache.Fixtures.Good;

[Builder("fixture-null", "listing", Extension = "txt", RequiredTools = ["true"], HostOperatingSystems = ["linux", "osx"], Description = "Writes the entry paths, one a line")]
public sealed class NullBuilder : IFilesystemBuilder
{
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        long count = 0;
        await using (var writer = new StreamWriter(request.OutputPath))
        {
            await foreach (var entry in entries.WithCancellation(cancellationToken))
            {
                await writer.WriteLineAsync(entry.Path);
                count++;
            }
        }

        return new BuildResult(new FileInfo(request.OutputPath).Length, count);
    }
}
