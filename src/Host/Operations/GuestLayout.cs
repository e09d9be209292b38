using ImageCache.Core.Layers;
using LanguageExt;

namespace ImageCache.Host.Operations;

/// <summary>
/// What every baseline holds whatever the image (origin-behaviour §4.9, "ensureGuestRuntimeDirs"): the mount points
/// <c>/proc</c>, <c>/sys</c>, <c>/dev</c> and <c>/dev/pts</c>. Applied by the host, so all builders agree.
/// </summary>
internal static class GuestLayout
{
    /// <summary>The runtime directories, parents first.</summary>
    public static readonly string[] RuntimeDirectories = ["proc", "sys", "dev", "dev/pts"];

    /// <summary>
    /// Adds each missing runtime directory (0755, root-owned, the root's mtime) and keeps the tree's order (root,
    /// other entries in <see cref="PathRules.Compare"/> order, hard links last). One that exists as anything but a
    /// directory is refused: the guest could not mount there.
    /// </summary>
    public static MergedTree WithRuntimeDirectories(MergedTree tree)
    {
        var byPath = new Dictionary<string, MergedEntry>(StringComparer.Ordinal);
        foreach (var entry in tree.Entries) byPath[entry.Path] = entry;
        var root = byPath[PathRules.Root];
        var added = new List<MergedEntry>();
        foreach (var path in RuntimeDirectories)
        {
            if (byPath.TryGetValue(path, out var existing))
            {
                if (existing.Kind != LayerEntryKind.Directory)
                    throw new InvalidDataException($"the image has /{path} as a {existing.Kind.ToString().ToLowerInvariant()}; it must be a directory for the guest to mount there");
                continue;
            }
            var directory = new MergedEntry { Path = path, Kind = LayerEntryKind.Directory, Mode = 0b111_101_101, Uid = 0, Gid = 0, ModifiedTime = root.ModifiedTime };
            byPath[path] = directory;
            added.Add(directory);
        }
        if (added.Count == 0) return tree;

        var others = tree.Entries.Where(e => e.Path != PathRules.Root && e.Kind != LayerEntryKind.HardLink).Concat(added).ToList();
        others.Sort((a, b) => PathRules.Compare(a.Path, b.Path));
        var ordered = new List<MergedEntry>(tree.Entries.Count + added.Count) { root };
        ordered.AddRange(others);
        ordered.AddRange(tree.Entries.Where(e => e.Kind == LayerEntryKind.HardLink));
        return tree with { Entries = Prelude.toSeq(ordered.ToArray()) };
    }
}
