using System.Globalization;
using System.Security.Cryptography;

namespace ImageCache.Sources.Tests;

/// <summary>
/// A comparable description of a directory tree as <c>lstat</c> sees it, one line per path, made with GNU find and stat
/// (not our own code): type, mode, owner, mtime, size and SHA-256 of files, symlink targets, device numbers, xattrs,
/// and which names share an inode (hard links).
/// </summary>
internal static class Tree
{
    public static async Task<List<string>> SnapshotAsync(string root, bool withTimes = true)
    {
        var listing = await Tools.RunAsync("find", root, "-printf", "%P\\0%y\\0%m\\0%U\\0%G\\0%T@\\0%l\\0%D:%i\\0%n\\0");
        var fields = listing.Split('\0');
        var lines = new List<string>();
        var firstByInode = new Dictionary<string, string>(StringComparer.Ordinal);
        var rows = new List<string[]>();
        for (var i = 0; i + 9 <= fields.Length; i += 9) rows.Add(fields[i..(i + 9)]);
        foreach (var row in rows.OrderBy(r => r[0], StringComparer.Ordinal))
        {
            var (path, type, mode, uid, gid, mtime, link, inode, nlink) = (row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]);
            var full = path.Length == 0 ? root : Path.Combine(root, path);
            var extra = type switch
            {
                "f" => $"size={new FileInfo(full).Length} sha={Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full)))}",
                "l" => $"-> {link}",
                "c" or "b" => "dev=" + (await Tools.RunAsync("stat", "-c", "%t:%T", full)).Trim(),
                _ => "",
            };
            if (type == "f" && int.Parse(nlink, CultureInfo.InvariantCulture) > 1)
            {
                if (firstByInode.TryGetValue(inode, out var first)) extra += $" hardlink-of={first}";
                else firstByInode[inode] = path;
            }
            var time = withTimes && type != "l" ? $" mtime={HundredNanoseconds(mtime)}" : "";
            lines.Add($"/{path} {type} {mode} {uid}:{gid}{time} {extra} xattrs[{Native.Xattrs(full)}]");
        }
        return lines;
    }

    /// <summary>find prints nanoseconds; image times are kept at .NET's 100 ns precision, so compare at that precision.</summary>
    static string HundredNanoseconds(string mtime)
    {
        var dot = mtime.IndexOf('.');
        return dot < 0 || mtime.Length - dot - 1 <= 7 ? mtime : mtime[..(dot + 8)];
    }
}
