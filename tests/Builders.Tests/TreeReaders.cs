using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageCache.Host.Layers;

namespace ImageCache.Builders.Tests;

/// <summary>Reads a tree back from an ext4 image (debugfs only: no mount, no root), a squashfs image (<c>sqfs2tar</c>) or a directory (GNU tar).</summary>
internal static class TreeReaders
{
    /// <summary>A directory (umoci's rootfs) through <c>tar --xattrs</c> (owners numeric, xattrs binary, hard links as links).</summary>
    public static FsTree FromDirectory(string directory) =>
        FromTar(Tools.RunOk("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "--sort=name", "-C", directory, "-cf", "-", ".").Stdout);

    /// <summary>A squashfs image through <c>sqfs2tar</c> (xattrs and hard links kept; <c>--root-becomes</c> so the root's metadata is in the tar too).</summary>
    public static FsTree FromSquashfs(string image) => FromTar(Tools.RunOk("sqfs2tar", "--root-becomes", RootName, image).Stdout, RootName);

    private const string RootName = "squashfs-root";

    public static FsTree FromTar(byte[] tar, string? rootName = null)
    {
        string Clean(string name)
        {
            var path = TreeReaders.Clean(name);
            if (rootName is null) return path;
            if (path == rootName) return "";
            Assert.StartsWith(rootName + "/", path, StringComparison.Ordinal);
            return path[(rootName.Length + 1)..];
        }

        var nodes = new SortedDictionary<string, FsNode>(StringComparer.Ordinal);
        var identity = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(tar), new TarReaderOptions { MaxPaxHeaderSize = 16 << 20 });
        while (reader.GetNextEntryAsync().AsTask().GetAwaiter().GetResult() is { } entry)
        {
            var header = entry.Header;
            var path = Clean(header.Name);
            if (header.Kind == TarEntryKind.HardLink)
            {
                var target = Clean(header.LinkName);
                nodes[path] = nodes[target];
                identity[path] = identity.TryGetValue(target, out var id) ? id : target;
                identity.TryAdd(target, identity[path]);
                continue;
            }

            string? sha = null;
            long size = 0;
            if (header.Kind == TarEntryKind.RegularFile)
            {
                var data = new MemoryStream();
                entry.DataStream.CopyTo(data);
                sha = Convert.ToHexStringLower(SHA256.HashData(data.ToArray()));
                size = data.Length;
            }

            var kind = header.Kind switch
            {
                TarEntryKind.RegularFile => 'f',
                TarEntryKind.Directory => 'd',
                TarEntryKind.SymbolicLink => 'l',
                TarEntryKind.CharacterDevice => 'c',
                TarEntryKind.BlockDevice => 'b',
                TarEntryKind.Fifo => 'p',
                _ => throw new InvalidDataException($"unexpected tar entry {header.Kind} {header.Name}"),
            };
            nodes[path] = new FsNode(kind, header.Mode & 0xFFF, header.Uid, header.Gid, size, sha,
                kind == 'l' ? header.LinkName : null, kind is 'c' or 'b' ? $"{header.DevMajor}:{header.DevMinor}" : null,
                FsTree.FormatXattrs(header.Xattrs), header.ModifiedTime.ToUnixTimeSeconds(), null);
        }

        FsTree.AssignHardLinkGroups(nodes, identity);
        return new FsTree(nodes);
    }

    private static string Clean(string name)
    {
        var path = name;
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
        path = path.TrimEnd('/');
        return path is "." ? "" : path;
    }

    /// <summary>
    /// An ext4 image through debugfs: <c>ls -p</c> per directory, level by level; <c>stat</c> per inode (times, devices,
    /// fast symlinks, xattr names); <c>dump</c> for file data and slow symlinks; <c>ea_get -f</c> for xattr values.
    /// The <c>lost+found</c> mke2fs-style writers add at the root is left out.
    /// </summary>
    public static FsTree FromExt4(string image, string scratch)
    {
        Directory.CreateDirectory(scratch);
        var listed = new List<(string Path, long Inode, int Mode, long Uid, long Gid)> { ("", 2, 0x41ED, 0, 0) };
        var level = new List<string> { "" };
        while (level.Count > 0)
        {
            var sections = DebugfsBatch(image, scratch, level.Select(d => $"ls -p {Quote("/" + d)}"));
            var next = new List<string>();
            for (var i = 0; i < level.Count; i++)
            {
                foreach (var line in sections[i])
                {
                    if (line.Length == 0 || line[0] != '/') continue;
                    var fields = line.Split('/');
                    if (fields.Length < 8 || fields[5] is "." or "..") continue;
                    var path = level[i].Length == 0 ? fields[5] : level[i] + "/" + fields[5];
                    if (path == "lost+found") continue;
                    var mode = Convert.ToInt32(fields[2], 8);
                    listed.Add((path, long.Parse(fields[1], CultureInfo.InvariantCulture), mode, Unsigned(fields[3]), Unsigned(fields[4])));
                    if ((mode & 0xF000) == 0x4000) next.Add(path);
                }
            }

            level = next;
        }

        var inodes = listed.Select(l => l.Inode).Distinct().ToList();
        var stats = DebugfsBatch(image, scratch, inodes.Select(i => $"stat <{i}>"));
        var info = new Dictionary<long, (long Mtime, string? FastLink, string? Rdev, List<string> XattrNames)>();
        for (var i = 0; i < inodes.Count; i++)
        {
            long mtime = 0;
            string? fast = null, rdev = null;
            var names = new List<string>();
            var inXattrs = false;
            foreach (var line in stats[i])
            {
                var trimmed = line.Trim();
                if (trimmed.StartsWith("mtime: 0x", StringComparison.Ordinal))
                    mtime = (int)uint.Parse(trimmed[9..17], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                else if (trimmed.StartsWith("Fast link dest: \"", StringComparison.Ordinal))
                    fast = trimmed[17..trimmed.LastIndexOf('"')];
                else if (trimmed.StartsWith("Device major/minor number:", StringComparison.Ordinal))
                {
                    var numbers = trimmed["Device major/minor number:".Length..].Trim().Split(' ')[0].Split(':');
                    rdev = $"{int.Parse(numbers[0], CultureInfo.InvariantCulture)}:{int.Parse(numbers[1], CultureInfo.InvariantCulture)}";
                }
                else if (trimmed == "Extended attributes:") inXattrs = true;
                else if (inXattrs && line.StartsWith("  ", StringComparison.Ordinal) && trimmed.Contains(" (", StringComparison.Ordinal))
                    names.Add(trimmed[..trimmed.LastIndexOf(" (", StringComparison.Ordinal)]);
                else if (inXattrs && !line.StartsWith("  ", StringComparison.Ordinal)) inXattrs = false;
            }

            info[inodes[i]] = (mtime, fast, rdev, names);
        }

        // Data: every regular file and every symlink that is not fast, dumped once per inode.
        var dumps = new List<string>();
        var dumped = new HashSet<long>();
        foreach (var (path, inode, mode, _, _) in listed)
        {
            var type = mode & 0xF000;
            if ((type == 0x8000 || (type == 0xA000 && info[inode].FastLink is null)) && dumped.Add(inode))
                dumps.Add($"dump <{inode}> {Quote(Path.Combine(scratch, $"data-{inode}"))}");
            foreach (var name in info[inode].XattrNames)
                dumps.Add($"ea_get -f {Quote(Path.Combine(scratch, $"xattr-{inode}-{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(name))}"))} <{inode}> {Quote(name)}");
        }

        if (dumps.Count > 0) DebugfsBatch(image, scratch, dumps.Distinct());

        var nodes = new SortedDictionary<string, FsNode>(StringComparer.Ordinal);
        var identity = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, inode, mode, uid, gid) in listed)
        {
            var (mtime, fast, rdev, names) = info[inode];
            var type = mode & 0xF000;
            var kind = type switch { 0x8000 => 'f', 0x4000 => 'd', 0xA000 => 'l', 0x2000 => 'c', 0x6000 => 'b', 0x1000 => 'p', _ => '?' };
            string? sha = null, link = null;
            long size = 0;
            if (kind == 'f')
            {
                var bytes = File.ReadAllBytes(Path.Combine(scratch, $"data-{inode}"));
                sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                size = bytes.LongLength;
            }
            else if (kind == 'l') link = fast ?? File.ReadAllText(Path.Combine(scratch, $"data-{inode}"));

            var xattrs = names.Select(n => new KeyValuePair<string, byte[]>(n,
                File.ReadAllBytes(Path.Combine(scratch, $"xattr-{inode}-{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(n))}"))));
            nodes[path] = new FsNode(kind, mode & 0xFFF, uid, gid, size, sha, link, kind is 'c' or 'b' ? rdev : null, FsTree.FormatXattrs(xattrs), mtime, null);
            if (kind != 'd') identity[path] = inode.ToString(CultureInfo.InvariantCulture);
        }

        FsTree.AssignHardLinkGroups(nodes, identity);
        return new FsTree(nodes);
    }

    private static long Unsigned(string text)
    {
        var value = long.Parse(text, CultureInfo.InvariantCulture);
        return value < 0 ? value + (1L << 32) : value;
    }

    private static string Quote(string argument) => "\"" + argument.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Runs a read-only debugfs batch; returns each command's output lines (debugfs echoes "debugfs: CMD" before each).</summary>
    private static List<List<string>> DebugfsBatch(string image, string scratch, IEnumerable<string> commands)
    {
        var batch = Path.Combine(scratch, "batch.debugfs");
        var list = commands.ToList();
        File.WriteAllText(batch, string.Join('\n', list) + "\n");
        var result = Tools.Run("debugfs", "-f", batch, image);
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("debugfs ", StringComparison.Ordinal)).ToList();
        Assert.True(result.ExitCode == 0 && errors.Count == 0, $"debugfs -f on {image}: {result}");
        var sections = new List<List<string>>();
        foreach (var line in result.Text.Split('\n'))
        {
            if (line.StartsWith("debugfs: ", StringComparison.Ordinal)) { sections.Add([]); continue; }
            if (sections.Count > 0) sections[^1].Add(line);
        }

        Assert.Equal(list.Count, sections.Count);
        return sections;
    }
}
