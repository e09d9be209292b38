using System.Security.Cryptography;

namespace ImageCache.Samples.Tests;

/// <summary>
/// A filesystem tree extracted to disk, listed one line per entry: path, type, mode, owner, size, mtime (seconds),
/// link target and a content hash. Symlink mtimes are left out (debugfs rdump does not restore them) and so is
/// ext4's lost+found.
/// </summary>
internal static class TreeListing
{
    public static async Task<string[]> ReadAsync(string directory)
    {
        var find = await Tool.RunOkAsync("find", directory, "-mindepth", "1", "-printf", "%P|%y|%m|%U:%G|%s|%Ts|%l\n");
        return find.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith("lost+found", StringComparison.Ordinal))
            .Select(line =>
            {
                var fields = line.Split('|');
                if (fields[1] == "l") fields[5] = "-";
                if (fields[1] == "d") fields[4] = "-"; // directory sizes depend on the filesystem's block size
                var hash = fields[1] == "f" ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(directory, fields[0]))))[..16] : "";
                return string.Join('|', fields) + "|" + hash;
            })
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}
