using System.Diagnostics;
using System.Security.Cryptography;
using ImageCache.Core;
using ImageCache.Host.Storage;
using Microsoft.Win32.SafeHandles;

namespace ImageCache.Host.Operations;

public sealed partial class ImageCacheClient
{
    const long MiB = 1024 * 1024;

    /// <summary>
    /// Gives one microVM its own writable copy of a sealed baseline (the seed's <c>Provenance(record, outputPath)</c>
    /// flow): a reflink where the file system shares extents, else a sparse copy; with
    /// <see cref="CloneRequest.SizeMiB"/>, an ext4 copy and its file system are grown to that size (<c>resize2fs</c>).
    /// </summary>
    /// <remarks>
    /// The baseline is opened read-only and never written. By default its SHA-256 is checked against the record
    /// while it is read (in the copy's own pass; after a reflink, by reading the shared extents once), because a
    /// copy of a damaged baseline would boot a damaged VM and nothing would say why; the size is always checked.
    /// The copy is written to a temp name beside the destination and renamed into place, so a failed or cancelled
    /// clone leaves nothing behind. The destination must lie outside the state directory: the index and the store
    /// are not touched.
    /// </remarks>
    /// <exception cref="ImageCacheException">Nothing to copy, a bad destination, a shrink, a grow of a non-ext4
    /// baseline, a baseline that no longer matches its record, or a failed copy or resize. Nothing is written.</exception>
    public async Task<CloneResult> CloneAsync(CloneRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Reference.Trim().Length == 0) throw CloneFail("no image reference given");
        if (request.Destination.Trim().Length == 0) throw CloneFail("no destination given");
        if (request.SizeMiB is <= 0) throw CloneFail($"--size-mib must be positive (got {request.SizeMiB})");

        var destination = Path.GetFullPath(request.Destination);
        var directory = Path.GetDirectoryName(destination) ?? throw CloneFail($"{destination} has no parent directory");
        if (Directory.Exists(destination)) throw CloneFail($"{destination} is a directory; give the path of the copy's file");
        if (!Directory.Exists(directory)) throw CloneFail($"{directory} does not exist; create it first");
        var realDirectory = Libc.RealPath(directory) ?? directory;
        var realState = Libc.RealPath(Layout.Root) ?? Path.GetFullPath(Layout.Root);
        if (IsSameOrInside(realState, realDirectory))
            throw CloneFail($"{destination} is inside the state directory {realState}; private copies go outside it");
        var exists = File.Exists(destination) || new FileInfo(destination).LinkTarget is not null;
        if (exists && !request.Force) throw CloneFail($"{destination} already exists; pass --force to replace it");

        var baseline = await FindAsync(request.Reference, Platform.Any, cancellationToken).ConfigureAwait(false);
        if (!baseline.RootfsImmutable || baseline.RootfsSha256.Length != 64)
            throw CloneFail($"the baseline of {baseline.ImageRef} is not sealed (no rootfs_sha256 recorded); pull it again to seal it");
        var format = baseline.Format.Length > 0 ? baseline.Format
            : baseline.OutputPath.EndsWith(".ext4", StringComparison.Ordinal) ? "ext4" : "unknown";
        if (request.SizeMiB is not null && format != "ext4")
            throw CloneFail($"--size-mib grows ext4 copies only; {baseline.ImageRef} is a {format} baseline");
        var resize2fs = request.SizeMiB is not null
            ? FindTool("resize2fs") ?? throw CloneFail("resize2fs not found on PATH (install e2fsprogs); it is needed to grow the copy")
            : null;

        using var source = OpenBaseline(baseline.OutputPath);
        var length = RandomAccess.GetLength(source);
        if (baseline.SizeBytes > 0 && length != baseline.SizeBytes)
            throw CloneFail($"the baseline {baseline.OutputPath} changed size (recorded {baseline.SizeBytes} bytes, now {length}); run imagecache verify");
        var target = request.SizeMiB * MiB ?? length;
        if (target < length)
            throw CloneFail($"--size-mib {request.SizeMiB} is smaller than the baseline ({length} bytes, {(length + MiB - 1) / MiB} MiB); a copy can only grow");

        RemoveAbandonedCopies(directory, Path.GetFileName(destination));
        var temp = Path.Combine(directory, $".{Path.GetFileName(destination)}.imagecache-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        var published = false;
        try
        {
            bool reflinked;
            using (var stream = new FileStream(temp, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0,
                       UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                   }))
            {
                var copy = stream.SafeFileHandle;
                using var hash = request.VerifyContent ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
                reflinked = FileCloner.Copy(source, copy, length, hash, request.AllowReflink, cancellationToken);
                if (hash is not null)
                {
                    var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
                    if (!string.Equals(sha256, baseline.RootfsSha256, StringComparison.Ordinal))
                        throw CloneFail($"the baseline {baseline.OutputPath} no longer matches its record (SHA-256 {sha256[..12]}…, recorded {baseline.RootfsSha256[..12]}…); run imagecache verify");
                }
                if (target > length) RandomAccess.SetLength(copy, target);
                if (target == length) stream.Flush(flushToDisk: true); // a grown copy is flushed after resize2fs
            }
            if (resize2fs is not null && target > length)
                await GrowFileSystemAsync(resize2fs, temp, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (target > length) FlushToDisk(temp);
            File.Move(temp, destination, overwrite: request.Force);
            published = true;
            Libc.FsyncDirectory(directory);
            var provenance = Provenance.OfCopy(baseline, destination) with { SizeBytes = target };
            await MarkUsedAsync(request.Reference).ConfigureAwait(false);
            return new CloneResult(provenance, baseline, reflinked ? CloneMethod.Reflink : CloneMethod.SparseCopy, request.VerifyContent, target > length);
        }
        catch (Exception e) when (!published && e is (IOException or UnauthorizedAccessException))
        {
            throw CloneFail(File.Exists(destination) && !request.Force && !exists
                ? $"{destination} appeared while the copy was being made; it was left alone"
                : $"cannot write {destination}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        finally
        {
            if (!published) File.Delete(temp);
        }
    }

    /// <summary>Opens the baseline for reading only: the sealed file is never opened with write access.</summary>
    static SafeFileHandle OpenBaseline(string path)
    {
        try { return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CloneFail($"cannot read the baseline {path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>Extends the ext4 file system in <paramref name="image"/> to the (already extended) file's size.</summary>
    static async Task GrowFileSystemAsync(string resize2fs, string image, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(resize2fs) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(image);
        using var process = Process.Start(start) ?? throw CloneFail($"cannot start {resize2fs}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try { await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            var lines = ((await error.ConfigureAwait(false)) + (await output.ConfigureAwait(false)))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            throw CloneFail($"resize2fs failed (exit {process.ExitCode}): {(lines.Length > 0 ? lines[^1] : "no output")}");
        }
    }

    static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        stream.Flush(flushToDisk: true);
    }

    static string? FindTool(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    static bool IsSameOrInside(string root, string path) =>
        string.Equals(root, path, StringComparison.Ordinal) || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    static ImageCacheException CloneFail(string message, Exception? inner = null) => new(HostErrorCodes.CloneFailed, message, inner);

    /// <summary>
    /// A clone uses its baseline: refresh <c>last_used_at</c>, so <c>prune --unused-for</c> keeps baselines VMs are
    /// still cloned from. The copy is already published, so a failure here is a notice, not an error.
    /// </summary>
    async Task MarkUsedAsync(string reference)
    {
        try { await TouchAsync(reference, CancellationToken.None).ConfigureAwait(false); }
        catch (ImageCacheException e) { options.OnNotice?.Invoke($"could not mark {reference.Trim()} as used: {e.Message}"); }
    }

    /// <summary>
    /// Deletes the temp copies (<c>.NAME.imagecache-PID-….tmp</c>) that a clone to the same destination left when it
    /// was killed: their process no longer exists. A live process's copy (or one whose PID was reused) is left alone.
    /// </summary>
    static void RemoveAbandonedCopies(string directory, string destinationName)
    {
        var prefix = $".{destinationName}.imagecache-";
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(directory, prefix + "*.tmp").ToArray(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var path in candidates)
        {
            var rest = Path.GetFileName(path)[prefix.Length..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)) continue;
            if (Storage.ProcessLiveness.MayBeRunning(pid)) continue;
            try { File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
