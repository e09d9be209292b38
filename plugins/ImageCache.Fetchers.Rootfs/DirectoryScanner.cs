using ImageCache.Contracts;

namespace ImageCache.Fetchers.Rootfs;

/// <summary>
/// Lists a root filesystem directory the way a root-owned tar would record it, as an ordinary user: owners, modes,
/// times and xattrs from <c>lstat</c>/<c>llistxattr</c> (not the reading user's), symlinks as links (never followed,
/// so nothing outside the tree is read), devices and FIFOs as such, names of one inode grouped for hard links.
/// Sockets are skipped (a tar cannot hold them). Data is opened only when the layer is written, with O_NOFOLLOW.
/// </summary>
internal static class DirectoryScanner
{
    public static List<RootfsEntry> Scan(string root, string source, CancellationToken cancellationToken)
    {
        var entries = new List<RootfsEntry>();
        var status = Native.Lstat(root) ?? throw new ImageSourceException($"{source}: no such file or directory");
        if (status.Type != FileStatus.S_IFDIR) throw new ImageSourceException($"{source}: not a directory");
        var pending = new Stack<(string Full, string Relative, FileStatus Status)>();
        pending.Push((root, "", status));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (full, relative, dirStatus) = pending.Pop();
            entries.Add(Entry(full, relative, dirStatus, source));
            string[] names;
            try
            {
                names = [.. new DirectoryInfo(full).EnumerateFileSystemInfos("*", new EnumerationOptions
                {
                    RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false,
                }).Select(i => i.Name)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ImageSourceException($"{source}: cannot list /{relative}: {e.Message}", e);
            }
            // Reverse order on the stack: popped in order, though the final order is fixed by sorting anyway.
            foreach (var name in names.OrderByDescending(n => n, StringComparer.Ordinal))
            {
                var childFull = Path.Combine(full, name);
                var childRelative = relative.Length == 0 ? name : relative + "/" + name;
                FileStatus? child;
                try { child = Native.Lstat(childFull); }
                catch (IOException e) { throw new ImageSourceException($"{source}: {e.Message}", e); }
                if (child is not { } s)
                    throw new ImageSourceException($"{source}: /{childRelative} vanished while it was read, or its name is not valid UTF-8");
                if (s.Type == FileStatus.S_IFDIR) pending.Push((childFull, childRelative, s));
                else if (s.Type != FileStatus.S_IFSOCK) entries.Add(Entry(childFull, childRelative, s, source));
            }
        }
        return entries;
    }

    static RootfsEntry Entry(string full, string relative, FileStatus s, string source)
    {
        Dictionary<string, byte[]> xattrs;
        try { xattrs = Native.ReadXattrs(full); }
        catch (IOException e) { throw new ImageSourceException($"{source}: {e.Message}", e); }
        var type = s.Type switch
        {
            FileStatus.S_IFREG => '0',
            FileStatus.S_IFLNK => '2',
            FileStatus.S_IFCHR => '3',
            FileStatus.S_IFBLK => '4',
            FileStatus.S_IFDIR => '5',
            FileStatus.S_IFIFO => '6',
            _ => throw new ImageSourceException($"{source}: /{relative} is of an unknown file type"),
        };
        string? target = null;
        if (type == '2')
        {
            try { target = new FileInfo(full).LinkTarget ?? throw new IOException("not a symlink any more"); }
            catch (IOException e) { throw new ImageSourceException($"{source}: cannot read the symlink /{relative}: {e.Message}", e); }
        }
        return new RootfsEntry(relative, type, s.Mode, s.Uid, s.Gid, s.ModifiedTime, xattrs, target,
            type is '3' or '4' ? s.RdevMajor : 0, type is '3' or '4' ? s.RdevMinor : 0,
            type == '0' ? s.Size : 0,
            type == '0' && s.LinkCount > 1 ? s.Identity : null,
            type == '0' ? () => Native.OpenNoFollow(full) : null);
    }
}
