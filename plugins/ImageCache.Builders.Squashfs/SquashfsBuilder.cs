using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImageCache.Contracts;

namespace ImageCache.Builders.Squashfs;

/// <summary>
/// Writes a squashfs image by streaming a PAX tar of the entries into <c>tar2sqfs</c> (squashfs-tools-ng):
/// owners, modes, devices and xattrs come from the tar, so no root is needed and nothing is staged on disk.
/// </summary>
/// <remarks>
/// tar2sqfs is run as <c>tar2sqfs --quiet --no-skip --compressor C --block-size B --num-jobs J
/// --defaults uid=0,gid=0,mode=0755,mtime=ROOT OUTPUT</c>. The root is sent as the member <c>./</c>, so its
/// owner, mode, time and xattrs are the root entry's; <c>--defaults</c> only covers directories tar2sqfs would
/// create implicitly. <c>--no-skip</c> turns an unreadable record into a failure rather than a silently missing
/// file. Output is reproducible: squashfs-tools-ng takes every inode time from the tar, the superblock's creation
/// time from the <c>--defaults</c> mtime (the root's), never the clock, and its output does not depend on the number of jobs. Squashfs keeps whole seconds (32-bit,
/// unsigned) and 32-bit ids.
/// </remarks>
[Builder("squashfs", "squashfs", Extension = "sqfs", RequiredTools = new[] { "tar2sqfs" }, HostOperatingSystems = new[] { "linux" },
    Description = "squashfs via tar2sqfs (squashfs-tools-ng), zstd by default; no root")]
public sealed class SquashfsBuilder : IFilesystemBuilder
{
    /// <summary>The program run; tests may point it elsewhere.</summary>
    internal string Tool { get; init; } = "tar2sqfs";

    /// <inheritdoc />
    /// <exception cref="FilesystemBuildException">An option is invalid, an entry cannot be written, or tar2sqfs failed (its last error line is in the message).</exception>
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entries);
        var options = SquashfsOptions.Parse(request.Options);
        cancellationToken.ThrowIfCancellationRequested();

        var enumerator = entries.GetAsyncEnumerator(cancellationToken);
        await using var _ = enumerator.ConfigureAwait(false);
        var hasFirst = await enumerator.MoveNextAsync().ConfigureAwait(false);
        var rootTime = hasFirst && enumerator.Current.Path.Length == 0 ? enumerator.Current.ModifiedTime : DateTimeOffset.UnixEpoch;

        long written = 0;
        var completed = false;
        using var process = Start(Arguments(options, request.OutputPath, rootTime));
        var stderr = new StderrTail(process.StandardError);
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        try
        {
            using (cancellationToken.Register(() => Kill(process)))
            {
                var pipe = new PipeStream(process.StandardInput.BaseStream);
                try
                {
                    var input = new BufferedStream(pipe, 1 << 16);
                    await using (input.ConfigureAwait(false))
                    {
                        var writer = new PaxTarWriter(input);
                        for (var more = hasFirst; more; more = await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            await WriteAsync(writer, enumerator.Current, cancellationToken).ConfigureAwait(false);
                            if (++written % 1000 == 0) request.Progress?.Report(new BuildProgress("writing", written));
                        }

                        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
                    } // closing stdin: tar2sqfs sees the end of the archive
                }
                catch (IOException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken); // the pipe broke because we killed tar2sqfs
                }
                catch (IOException ex) when (pipe.Broken)
                {
                    // tar2sqfs went away (EPIPE): its exit and stderr say why.
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                    await stderr.Completion.ConfigureAwait(false);
                    throw Failure(process, stderr, ex);
                }

                request.Progress?.Report(new BuildProgress("compressing", written));
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }

            await stderr.Completion.ConfigureAwait(false);
            await stdout.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0) throw Failure(process, stderr, null);
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                Kill(process);
                try { await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false); }
                catch (InvalidOperationException) { }
                TryDelete(request.OutputPath);
            }
        }

        return new BuildResult(new FileInfo(request.OutputPath).Length, written);
    }

    /// <summary>The tar2sqfs command line (without the program), one argument per element.</summary>
    internal static IReadOnlyList<string> Arguments(SquashfsOptions options, string outputPath, DateTimeOffset rootTime)
    {
        var rootSeconds = Math.Clamp(rootTime.ToUnixTimeSeconds(), 0, uint.MaxValue);
        return
        [
            "--quiet",
            "--no-skip",
            "--compressor", options.Compressor,
            "--block-size", options.BlockSize.ToString(CultureInfo.InvariantCulture),
            "--num-jobs", options.Jobs.ToString(CultureInfo.InvariantCulture),
            "--defaults", $"uid=0,gid=0,mode=0755,mtime={rootSeconds.ToString(CultureInfo.InvariantCulture)}",
            outputPath,
        ];
    }

    /// <summary>The tar member for one entry (the root is <c>./</c>).</summary>
    internal static TarHeader ToTarHeader(FilesystemEntry entry)
    {
        if (entry.Uid is < 0 or > uint.MaxValue || entry.Gid is < 0 or > uint.MaxValue)
            throw new FilesystemBuildException($"squashfs: '/{entry.Path}' has owner {entry.Uid}:{entry.Gid}; squashfs holds 32-bit ids only.");
        var name = entry.Path.Length == 0 ? "./" : entry.Path;
        var (type, link) = entry.Kind switch
        {
            FilesystemEntryKind.RegularFile => ('0', null),
            FilesystemEntryKind.HardLink => ('1', entry.LinkTarget ?? throw new FilesystemBuildException($"squashfs: hard link '/{entry.Path}' has no target.")),
            FilesystemEntryKind.SymbolicLink => ('2', entry.LinkTarget ?? throw new FilesystemBuildException($"squashfs: symlink '/{entry.Path}' has no target.")),
            FilesystemEntryKind.CharacterDevice => ('3', null),
            FilesystemEntryKind.BlockDevice => ('4', null),
            FilesystemEntryKind.Directory => ('5', null),
            FilesystemEntryKind.Fifo => ('6', (string?)null),
            _ => throw new FilesystemBuildException($"squashfs: '/{entry.Path}' has an unknown kind {entry.Kind}."),
        };
        var isFile = entry.Kind == FilesystemEntryKind.RegularFile;
        return new TarHeader(name, type, entry.Mode & 0xFFF, entry.Uid, entry.Gid, entry.ModifiedTime, link,
            entry.DeviceMajor, entry.DeviceMinor, isFile ? entry.Size : 0,
            entry.Kind == FilesystemEntryKind.HardLink ? null : entry.Xattrs);
    }

    private static async ValueTask WriteAsync(PaxTarWriter writer, FilesystemEntry entry, CancellationToken cancellationToken)
    {
        var header = ToTarHeader(entry);
        if (entry.Kind != FilesystemEntryKind.RegularFile || entry.Size == 0 && entry.OpenData is null)
        {
            await Guard(entry, () => writer.WriteEntryAsync(header, null, cancellationToken)).ConfigureAwait(false);
            return;
        }

        if (entry.OpenData is null) throw new FilesystemBuildException($"squashfs: '/{entry.Path}' has {entry.Size} bytes but no data.");
        var data = await entry.OpenData(cancellationToken).ConfigureAwait(false);
        await using (data.ConfigureAwait(false))
            await Guard(entry, () => writer.WriteEntryAsync(header, data, cancellationToken)).ConfigureAwait(false);
    }

    private static async ValueTask Guard(FilesystemEntry entry, Func<ValueTask> write)
    {
        try { await write().ConfigureAwait(false); }
        catch (ArgumentException ex) { throw new FilesystemBuildException($"squashfs: cannot write '/{entry.Path}': {ex.Message}", ex); }
        catch (InvalidDataException ex) { throw new FilesystemBuildException($"squashfs: cannot write '/{entry.Path}': {ex.Message}", ex); }
    }

    private Process Start(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(Tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            return Process.Start(start) ?? throw new FilesystemBuildException($"squashfs: {Tool} could not be started.");
        }
        catch (Win32Exception ex)
        {
            throw new FilesystemBuildException($"squashfs: {Tool} could not be started ({ex.Message}); install squashfs-tools-ng.", ex);
        }
    }

    private FilesystemBuildException Failure(Process process, StderrTail stderr, Exception? inner)
    {
        var line = stderr.LastLine;
        var message = $"squashfs: {Tool} failed (exit {process.ExitCode})" + (line is null ? "." : $": {line}");
        return inner is null ? new FilesystemBuildException(message) : new FilesystemBuildException(message, inner);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Reads a process's stderr to its end, keeping the last non-empty line.</summary>
    private sealed class StderrTail
    {
        private volatile string? _lastLine;

        public StderrTail(StreamReader reader) => Completion = ReadAsync(reader);

        public Task Completion { get; }
        public string? LastLine => _lastLine;

        private async Task ReadAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
                if (!string.IsNullOrWhiteSpace(line)) _lastLine = line.Trim();
        }
    }
}
