using System.Text;

namespace ImageCache.Builders.Tests;

/// <summary>One path of a filesystem tree as read back, in the terms every reader can give and every format keeps.</summary>
/// <param name="Kind">f, d, l (symlink), c, b, p (FIFO).</param>
/// <param name="Mode">Permission bits 07777.</param>
/// <param name="Uid">Owner uid.</param>
/// <param name="Gid">Owner gid.</param>
/// <param name="Size">Data size (regular files only, else 0).</param>
/// <param name="Sha256">Content hash (regular files only).</param>
/// <param name="Link">Symlink target.</param>
/// <param name="Rdev">"major:minor" of a device.</param>
/// <param name="Xattrs">"name=hex" sorted, joined by ';'.</param>
/// <param name="Mtime">Modification time, whole seconds (squashfs keeps no more).</param>
/// <param name="HardLinkGroup">For a file with more than one name: the smallest of its names (ordinal); else null.</param>
internal sealed record FsNode(char Kind, int Mode, long Uid, long Gid, long Size, string? Sha256, string? Link, string? Rdev, string Xattrs, long Mtime, string? HardLinkGroup)
{
    public override string ToString() =>
        $"{Kind} {Convert.ToString(Mode, 8).PadLeft(4, '0')} {Uid}:{Gid} size={Size} sha={Sha256?[..12]} link={Link} rdev={Rdev} xattrs=[{Xattrs}] mtime={Mtime} group={HardLinkGroup}";
}

/// <summary>A whole tree: image path (no leading '/', "" for the root) → node.</summary>
internal sealed class FsTree(SortedDictionary<string, FsNode> nodes)
{
    public SortedDictionary<string, FsNode> Nodes { get; } = nodes;

    public FsNode this[string path] => Nodes.TryGetValue(path, out var node) ? node : throw new KeyNotFoundException($"'{path}' is not in the tree; it has: {string.Join(", ", Nodes.Keys.Take(50))}");

    public bool Contains(string path) => Nodes.ContainsKey(path);

    public static string FormatXattrs(IEnumerable<KeyValuePair<string, byte[]>> xattrs) =>
        string.Join(';', xattrs.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={Convert.ToHexStringLower(x.Value)}"));

    /// <summary>Sets each multiply-linked file's group to the smallest of its names.</summary>
    public static void AssignHardLinkGroups(SortedDictionary<string, FsNode> nodes, IReadOnlyDictionary<string, string> identityOfPath)
    {
        foreach (var group in identityOfPath.GroupBy(p => p.Value, p => p.Key).Where(g => g.Count() > 1))
        {
            var name = group.Min(StringComparer.Ordinal)!;
            foreach (var path in group) nodes[path] = nodes[path] with { HardLinkGroup = name };
        }
    }

    /// <summary>Every difference, one line each (empty when equal).</summary>
    public static List<string> Differences(FsTree expected, FsTree actual, bool compareDirectoryMtimes = true)
    {
        var differences = new List<string>();
        foreach (var (path, node) in expected.Nodes)
        {
            if (!actual.Nodes.TryGetValue(path, out var other)) { differences.Add($"missing /{path}: {node}"); continue; }
            var left = node;
            var right = other;
            if (!compareDirectoryMtimes && node.Kind == 'd') right = right with { Mtime = left.Mtime };
            if (left != right) differences.Add($"/{path}:\n   expected {left}\n   actual   {right}");
        }

        foreach (var (path, node) in actual.Nodes)
            if (!expected.Nodes.ContainsKey(path)) differences.Add($"unexpected /{path}: {node}");
        return differences;
    }

    public static void AssertEqual(FsTree expected, FsTree actual, string what, bool compareDirectoryMtimes = true)
    {
        var differences = Differences(expected, actual, compareDirectoryMtimes);
        if (differences.Count == 0) return;
        var text = new StringBuilder($"{what}: {differences.Count} difference(s)\n");
        foreach (var line in differences.Take(30)) text.Append(line).Append('\n');
        Assert.Fail(text.ToString());
    }
}
