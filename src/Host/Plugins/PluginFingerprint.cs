using System.Globalization;
using System.Text;

namespace ImageCache.Host.Plugins;

/// <summary>
/// Identifies the content of a plugin folder cheaply: every file below it with its size and modification time (no file
/// is read). A plugin cached under one fingerprint is inspected again as soon as any file is added, removed, replaced
/// or touched.
/// </summary>
internal static class PluginFingerprint
{
    /// <summary>The fingerprint of <paramref name="folder"/>: a 64-bit FNV-1a hash of its sorted file list, in hex.</summary>
    public static string Of(string folder)
    {
        var lines = new List<string>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions
                 {
                     RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false,
                 }))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetRelativePath(folder, file.FullName)}\0{file.Length}\0{file.LastWriteTimeUtc.Ticks}"));
        }

        lines.Sort(StringComparer.Ordinal);
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(string.Join('\n', lines)))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
