using ImageCache.Contracts;

namespace ImageCache.Fixtures.Paced;

/// <summary>
/// A builder the CLI tests can watch and slow down: it appends <c>start PID KEY</c> to the file named by
/// <c>$IMAGECACHE_TEST_BUILD_LOG</c>, writes the entry paths (one a line) to the output, then waits
/// <c>$IMAGECACHE_TEST_BUILD_DELAY_MS</c> (cancellably) and appends <c>end PID KEY</c>. Counting <c>start</c> lines
/// counts builds; the wait holds a build open for a concurrent pull or a signal to arrive.
/// </summary>
[Builder("paced", "listing", Extension = "txt", Description = "Writes the entry paths, logs each build, and waits a configurable time")]
public sealed class PacedBuilder : IFilesystemBuilder
{
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        var log = Environment.GetEnvironmentVariable("IMAGECACHE_TEST_BUILD_LOG");
        var delay = int.TryParse(Environment.GetEnvironmentVariable("IMAGECACHE_TEST_BUILD_DELAY_MS"), out var ms) ? ms : 0;
        Log(log, $"start {Environment.ProcessId} {request.ContentKey}");
        long count = 0;
        await using (var writer = new StreamWriter(request.OutputPath))
        {
            await foreach (var entry in entries.WithCancellation(cancellationToken))
            {
                await writer.WriteLineAsync(entry.Path);
                request.Progress?.Report(new BuildProgress("writing", ++count));
            }
        }
        await Task.Delay(delay, cancellationToken);
        Log(log, $"end {Environment.ProcessId} {request.ContentKey}");
        return new BuildResult(new FileInfo(request.OutputPath).Length, count);
    }

    static void Log(string? path, string line)
    {
        if (!string.IsNullOrEmpty(path)) File.AppendAllText(path, line + "\n");
    }
}
