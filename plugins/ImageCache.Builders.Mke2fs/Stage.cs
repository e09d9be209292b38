using ImageCache.Contracts;

namespace ImageCache.Builders.Mke2fs;

/// <summary>
/// Writes the flattened tree into a private directory for <c>mke2fs -d</c>, without ever following a symlink.
/// </summary>
/// <remarks>
/// Why no write can leave the stage: an entry is written only when its parent is a directory this stage created
/// itself with <c>mkdir(2)</c> (tracked in <see cref="_directories"/>), so no component of the parent path can be a
/// symlink; the last component is created exclusively (<c>mkdir</c>, <c>O_CREAT|O_EXCL</c>, <c>symlink</c>,
/// <c>link</c> all fail on an existing name, symlink or not), so it cannot be redirected either. Directories are
/// created 0700 and never chmod'ed: their real modes (even 0555 or 0000) are applied in the image only, by
/// debugfs, so the builder can always write below them and delete the stage afterwards. Devices and FIFOs
/// become empty 0600 placeholder files (creating real nodes needs root).
/// </remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class Stage(string root)
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "" };

    public string Root { get; } = root;

    /// <summary>
    /// The most names one directory may hold. e2fsprogs 1.47.0's <c>mke2fs -d</c> links each name by scanning the
    /// directory from its first block, so time grows with the square of the count: 100,000 names ran for more than
    /// ten minutes here, 20,000 take seconds.
    /// </summary>
    public const int MaxEntriesPerDirectory = 20_000;

    readonly Dictionary<string, int> _childCounts = new(StringComparer.Ordinal);

    /// <summary>Creates the stage root (0700); it must not exist.</summary>
    public void Create() => Libc.Mkdir(Root, 0b111_000_000);

    /// <summary>The host path of an image path.</summary>
    public string HostPath(string imagePath) => imagePath.Length == 0 ? Root : System.IO.Path.Combine(Root, imagePath);

    /// <summary>Stages one entry; the data stream of a regular file is copied and closed.</summary>
    public async ValueTask AddAsync(FilesystemEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Path.Length == 0)
        {
            if (entry.Kind != FilesystemEntryKind.Directory) throw new FilesystemBuildException("mke2fs: the root entry must be a directory.");
            return;
        }

        var slash = entry.Path.LastIndexOf('/');
        var parent = slash < 0 ? "" : entry.Path[..slash];
        var name = entry.Path[(slash + 1)..];
        if (name is "" or "." or ".." || entry.Path.StartsWith('/') || entry.Path.Contains('\0'))
            throw new FilesystemBuildException($"mke2fs: refusing the entry name '{entry.Path}'.");
        if (!_directories.Contains(parent))
            throw new FilesystemBuildException($"mke2fs: '/{entry.Path}' comes before its parent directory (or its parent is not a directory).");
        var children = _childCounts.TryGetValue(parent, out var count) ? count + 1 : 1;
        if (children > MaxEntriesPerDirectory)
            throw new FilesystemBuildException(
                $"mke2fs: directory '/{parent}' has more than {MaxEntriesPerDirectory} entries; mke2fs -d adds names with a linear scan of the directory " +
                "(quadratic time: 100,000 names take far more than ten minutes), so this builder refuses it; use the ext4 builder (the default) or squashfs.");
        _childCounts[parent] = children;
        var path = HostPath(entry.Path);

        switch (entry.Kind)
        {
            case FilesystemEntryKind.Directory:
                Libc.Mkdir(path, 0b111_000_000);
                _directories.Add(entry.Path);
                break;
            case FilesystemEntryKind.RegularFile:
                await WriteFileAsync(entry, path, cancellationToken).ConfigureAwait(false);
                break;
            case FilesystemEntryKind.SymbolicLink:
                if (string.IsNullOrEmpty(entry.LinkTarget)) throw new FilesystemBuildException($"mke2fs: symlink '/{entry.Path}' has no target.");
                File.CreateSymbolicLink(path, entry.LinkTarget);
                break;
            case FilesystemEntryKind.HardLink:
                if (string.IsNullOrEmpty(entry.LinkTarget) || entry.LinkTarget.StartsWith('/') || entry.LinkTarget.Split('/').Contains(".."))
                    throw new FilesystemBuildException($"mke2fs: hard link '/{entry.Path}' has an invalid target '{entry.LinkTarget}'.");
                var target = HostPath(entry.LinkTarget);
                var info = new FileInfo(target);
                if (!info.Exists || info.LinkTarget is not null)
                    throw new FilesystemBuildException($"mke2fs: hard link '/{entry.Path}' names '/{entry.LinkTarget}', which is not a staged regular file.");
                Libc.Link(target, path);
                break;
            case FilesystemEntryKind.CharacterDevice or FilesystemEntryKind.BlockDevice or FilesystemEntryKind.Fifo:
                await new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile }).DisposeAsync().ConfigureAwait(false);
                break;
            default:
                throw new FilesystemBuildException($"mke2fs: '/{entry.Path}' has an unknown kind {entry.Kind}.");
        }
    }

    private static async ValueTask WriteFileAsync(FilesystemEntry entry, string path, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // O_CREAT|O_EXCL: never opens through a symlink
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = PrivateFile,
            Options = FileOptions.Asynchronous,
            BufferSize = 1 << 16,
        });
        await using (file.ConfigureAwait(false))
        {
            if (entry.OpenData is null)
            {
                if (entry.Size != 0) throw new FilesystemBuildException($"mke2fs: '/{entry.Path}' has {entry.Size} bytes but no data.");
                return;
            }

            var data = await entry.OpenData(cancellationToken).ConfigureAwait(false);
            await using (data.ConfigureAwait(false))
                await data.CopyToAsync(file, 1 << 20, cancellationToken).ConfigureAwait(false);
            if (file.Length != entry.Size)
                throw new FilesystemBuildException($"mke2fs: '/{entry.Path}' should have {entry.Size} bytes but its data has {file.Length}.");
        }
    }

    /// <summary>Deletes the stage (its directories are all owner-writable, so this cannot fail on modes).</summary>
    public void Delete()
    {
        try { if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
