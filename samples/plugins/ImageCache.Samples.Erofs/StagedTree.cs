using ImageCache.Contracts;

namespace ImageCache.Samples.Erofs;

/// <summary>
/// Writes the image's final entries into a directory exactly as they will appear in the image (owners, modes
/// including setuid, devices, FIFOs, hard links, xattrs, mtimes), for <c>mkfs.erofs</c> to read. Needs root.
/// </summary>
internal sealed class StagedTree(string root)
{
    readonly List<(string Path, DateTimeOffset ModifiedTime)> times = [];

    public string Root { get; } = root;

    public long EntriesWritten { get; private set; }

    public async Task AddAsync(FilesystemEntry entry, CancellationToken cancellationToken)
    {
        var path = Resolve(entry.Path);
        switch (entry.Kind)
        {
            case FilesystemEntryKind.Directory:
                Directory.CreateDirectory(path);
                break;
            case FilesystemEntryKind.RegularFile:
                await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                {
                    if (entry.OpenData is { } open)
                    {
                        await using var data = await open(cancellationToken).ConfigureAwait(false);
                        await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                    }
                }
                break;
            case FilesystemEntryKind.SymbolicLink:
                File.CreateSymbolicLink(path, entry.LinkTarget ?? throw new FilesystemBuildException($"symlink {entry.Path} has no target"));
                break;
            case FilesystemEntryKind.HardLink:
                // Shares the inode of its file: owner, mode, xattrs and mtime are that file's.
                Libc.Check(Libc.link(Resolve(entry.LinkTarget ?? ""), path), "link", entry.Path);
                EntriesWritten++;
                return;
            case FilesystemEntryKind.CharacterDevice or FilesystemEntryKind.BlockDevice:
                var type = entry.Kind == FilesystemEntryKind.CharacterDevice ? Libc.CharacterDevice : Libc.BlockDevice;
                Libc.Check(Libc.mknod(path, type | (uint)(entry.Mode & 0x1ff), Libc.MakeDevice(entry.DeviceMajor, entry.DeviceMinor)), "mknod", entry.Path);
                break;
            case FilesystemEntryKind.Fifo:
                Libc.Check(Libc.mkfifo(path, (uint)(entry.Mode & 0x1ff)), "mkfifo", entry.Path);
                break;
            default:
                throw new FilesystemBuildException($"{entry.Path}: unsupported entry kind {entry.Kind}");
        }

        Libc.Check(Libc.lchown(path, (uint)entry.Uid, (uint)entry.Gid), "lchown", entry.Path);
        // After chown, which clears setuid/setgid; symlinks have no mode of their own on Linux.
        if (entry.Kind != FilesystemEntryKind.SymbolicLink)
            Libc.Check(Libc.chmod(path, (uint)(entry.Mode & 0xfff)), "chmod", entry.Path);
        foreach (var (name, value) in entry.Xattrs) SetXattr(path, entry.Path, name, value);
        times.Add((path, entry.ModifiedTime));
        EntriesWritten++;
    }

    /// <summary>Sets every mtime, children before their directories (writing a child changes its directory's mtime).</summary>
    public unsafe void ApplyTimes()
    {
        var both = stackalloc Libc.Timespec[2];
        for (var i = times.Count - 1; i >= 0; i--)
        {
            var (path, time) = times[i];
            var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            var stamp = new Libc.Timespec { Seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest), Nanoseconds = rest * 100 };
            if (stamp.Nanoseconds < 0) { stamp.Seconds--; stamp.Nanoseconds += 1_000_000_000; }
            both[0] = stamp;
            both[1] = stamp;
            Libc.Check(Libc.utimensat(Libc.AtFdCwd, path, both, Libc.AtSymlinkNoFollow), "utimensat", path);
        }
    }

    static unsafe void SetXattr(string path, string entryPath, string name, byte[] value)
    {
        fixed (byte* bytes = value)
            Libc.Check(Libc.lsetxattr(path, name, bytes, (nuint)value.Length, 0), $"lsetxattr {name}", entryPath);
    }

    /// <summary>The staging path of an image path; refuses anything that would land outside the staging root.</summary>
    string Resolve(string imagePath)
    {
        if (imagePath.Length == 0) return Root;
        var full = Path.GetFullPath(Path.Combine(Root, imagePath));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new FilesystemBuildException($"entry path {imagePath} leaves the image root");
        return full;
    }
}
