using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ImageCache.Contracts;

namespace ImageCache.Samples.Erofs;

/// <summary>
/// Builds an EROFS image (a compact read-only filesystem in Linux since 5.4) with <c>mkfs.erofs</c>: stages the
/// final tree in a directory beside the output, then runs <c>mkfs.erofs -U UUID OUTPUT TREE</c>. The UUID comes
/// from the content key. The Debian 12 erofs-utils (1.5) cannot read a tar, so staging needs root to keep
/// owners, device nodes and xattrs; the builder refuses to run otherwise rather than write a wrong tree.
/// </summary>
[Builder("erofs", "erofs", RequiredTools = ["mkfs.erofs"], HostOperatingSystems = ["linux"],
    Description = "EROFS via mkfs.erofs (erofs-utils); stages the tree, needs root")]
public sealed class ErofsBuilder : IFilesystemBuilder
{
    /// <inheritdoc />
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entries);
        if (Libc.geteuid() != 0)
            throw new FilesystemBuildException("the erofs builder must run as root: it stages the tree on disk with its owners, devices and xattrs (mkfs.erofs 1.5 cannot read a tar)");

        var staging = Path.GetFullPath(request.OutputPath + ".tree");
        Directory.CreateDirectory(staging);
        try
        {
            var tree = new StagedTree(staging);
            await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await tree.AddAsync(entry, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new FilesystemBuildException($"cannot stage {entry.Path}: {e.Message}", e);
                }
                if (tree.EntriesWritten % 1024 == 0) request.Progress?.Report(new BuildProgress("staging", tree.EntriesWritten));
            }
            tree.ApplyTimes();

            request.Progress?.Report(new BuildProgress("mkfs.erofs", tree.EntriesWritten));
            await RunAsync("mkfs.erofs", ["--quiet", "-U", Uuid(request.ContentKey), request.OutputPath, staging], cancellationToken).ConfigureAwait(false);

            var size = new FileInfo(request.OutputPath).Length;
            if (request.SizeBytes is { } pinned)
            {
                if (size > pinned)
                    throw new FilesystemBuildException($"the erofs image needs {size} bytes ({(size + (1 << 20) - 1) >> 20} MiB), more than the pinned {pinned}");
                // A fixed-size block device: the image followed by zeros (EROFS ignores what follows its blocks).
                await using var output = new FileStream(request.OutputPath, FileMode.Open, FileAccess.Write);
                output.SetLength(pinned);
                size = pinned;
            }
            return new BuildResult(size, tree.EntriesWritten);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>A stable filesystem UUID from the content key, so one image always gets the same UUID.</summary>
    static string Uuid(string contentKey)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(contentKey)));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    static async Task RunAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new FilesystemBuildException($"{tool} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FilesystemBuildException($"{tool} could not be started ({e.Message}); install erofs-utils", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var errors = (await stderr.ConfigureAwait(false)).Trim();
            await stdout.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var last = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
                throw new FilesystemBuildException($"{tool} exited with {process.ExitCode}: {last}");
            }
        }
    }
}
