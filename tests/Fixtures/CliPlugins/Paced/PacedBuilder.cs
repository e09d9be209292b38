using ImageCache.Contracts;

namespace ImageCache.Fixtures.Paced;

/// <summary>
/// A builder the CLI tests can watch and slow down: it appends <c>start PID KEY</c> to the file named by
/// <c>$IMAGECACHE_TEST_BUILD_LOG</c>, writes the entry paths (one a line) to the output, then waits
/// <c>$IMAGECACHE_TEST_BUILD_DELAY_MS</c> (cancellably), then, when <c>$IMAGECACHE_TEST_BUILD_RELEASE</c> names a file,
/// until that file exists, and appends <c>end PID KEY</c>. Counting <c>start</c> lines counts builds; the wait holds a
/// build open for a concurrent pull or a signal to arrive. A test that needs something to happen during the build
/// uses the release file, so that a slow machine cannot end the build first.
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
        if (Environment.GetEnvironmentVariable("IMAGECACHE_TEST_BUILD_RELEASE") is { Length: > 0 } release)
            while (!File.Exists(release)) await Task.Delay(20, cancellationToken);
        Log(log, $"end {Environment.ProcessId} {request.ContentKey}");
        return new BuildResult(new FileInfo(request.OutputPath).Length, count);
    }

    /// <summary>
    /// Appends a line, one process at a time: .NET's append mode is a seek to the end, not O_APPEND, so two builds
    /// appending at once wrote at the same offset and one line was lost (a flaky test). An exclusive open (.NET takes
    /// a flock for FileShare.None) is retried until the other writer, or a reading test, has closed the file.
    /// </summary>
    static void Log(string? path, string line)
    {
        if (string.IsNullOrEmpty(path)) return;
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None);
                stream.Write(bytes);
                return;
            }
            catch (IOException) when (attempt < 1000)
            {
                Thread.Sleep(5);
            }
        }
    }
}
