using System;
using System.Collections.Generic;
using System.Diagnostics.Contracts;
using System.Linq;
using LanguageExt;
using LanguageExt.ClassInstances;
using LanguageExt.Common;

namespace ImageCache.Core.Layers;

/// <summary>
/// Flattens an image's layers (oci-rules §3.6, DESIGN §5) as a pure function over entry headers.
/// <list type="bullet">
/// <item>Layers apply base first onto an empty tree whose root is a 0755 root-owned directory (mtime the Unix
/// epoch) until a <c>./</c> entry gives it metadata.</item>
/// <item>A layer's whiteouts (<c>D/.wh.NAME</c> removes <c>D/NAME</c> and its subtree) and opaque markers
/// (<c>D/.wh..wh..opq</c> removes every child of <c>D</c>) act on the tree as the lower layers left it, before
/// any of the layer's own entries, wherever they sit in the tar: so they hide lower layers only. A whiteout of
/// a path that does not exist (or lies below a non-directory) does nothing; markers never create directories.
/// <c>.wh.</c> (empty name), <c>.wh..</c>, <c>.wh...</c> and a marker used as a directory are refused; other
/// <c>.wh..wh.*</c> names (AUFS internals such as <c>.wh..wh.plnk</c>) are skipped with everything below them.</item>
/// <item>The other entries apply in tar order. Missing parents are created as 0755 root-owned directories with
/// the entry's mtime (a later directory entry replaces that metadata). An existing parent that is not a
/// directory is refused: writing <c>a/b</c> when <c>a</c> is a symlink would write through it (umoci
/// CVE-2021-29136), and when <c>a</c> is a file the write cannot happen; this merge never resolves symlinks.</item>
/// <item>An entry over an existing path replaces it and its subtree, except a directory over a directory,
/// which only replaces the metadata (mode, owner, mtime, xattrs) and keeps the children. Duplicates: last wins.</item>
/// <item>A hard link names a regular file present when the link is applied (a lower layer or earlier in its
/// own layer); it shares that file's data and metadata from then on, even if the target path is later replaced
/// or removed. A missing target, a target that is not a regular file, or a target name that fails
/// <see cref="PathRules.Normalize"/> is refused.</item>
/// <item>The root entry must be a directory.</item>
/// </list>
/// </summary>
public static class LayerMerge
{
    const int SetuidBits = 0b110_000_000_000; // 06000
    const int PermissionBits = 0xFFF;        // 07777

    /// <summary>One inode of the tree. Files are never changed in place, so hard links can share the object.</summary>
    sealed class Node
    {
        public required LayerEntryKind Kind { get; init; }
        public required int Mode { get; init; }
        public required long Uid { get; init; }
        public required long Gid { get; init; }
        public required DateTimeOffset ModifiedTime { get; init; }
        public required Map<OrdStringOrdinal, string, byte[]> Xattrs { get; init; }
        public string LinkTarget { get; init; } = "";
        public long DeviceMajor { get; init; }
        public long DeviceMinor { get; init; }
        public long Size { get; init; }
        public DataRef DataRef { get; init; }

        /// <summary>Full paths of the children (directories only).</summary>
        public System.Collections.Generic.HashSet<string>? Children { get; init; }

        /// <summary>The same directory (children kept) with the entry's metadata.</summary>
        public Node WithMetadata(int mode, LayerEntry entry) =>
            new() { Kind = LayerEntryKind.Directory, Mode = mode, Uid = entry.Uid, Gid = entry.Gid, ModifiedTime = entry.ModifiedTime, Xattrs = entry.Xattrs, Children = Children };

        public static Node Directory(int mode, long uid, long gid, DateTimeOffset modifiedTime, Map<OrdStringOrdinal, string, byte[]> xattrs) =>
            new() { Kind = LayerEntryKind.Directory, Mode = mode, Uid = uid, Gid = gid, ModifiedTime = modifiedTime, Xattrs = xattrs, Children = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal) };
    }

    /// <summary>Mutable tree used inside one <see cref="Apply"/> call only.</summary>
    sealed class Tree
    {
        public readonly Dictionary<string, Node> Nodes = new(StringComparer.Ordinal)
        {
            { PathRules.Root, Node.Directory(0b111_101_101, 0, 0, DateTimeOffset.UnixEpoch, Map<OrdStringOrdinal, string, byte[]>.Empty) },
        };

        /// <summary>Removes a path (not the root) and its subtree; nothing when absent.</summary>
        public void Remove(string path)
        {
            if (!Nodes.TryGetValue(path, out var node)) return;
            RemoveChildren(node);
            Nodes.Remove(path);
            Nodes[PathRules.Parent(path)].Children!.Remove(path);
        }

        public void RemoveChildren(Node directory)
        {
            if (directory.Children is null) return;
            foreach (var child in directory.Children)
            {
                RemoveChildren(Nodes[child]);
                Nodes.Remove(child);
            }
            directory.Children.Clear();
        }

        /// <summary>Puts a node at a path whose parent is a directory and where nothing is.</summary>
        public void Insert(string path, Node node)
        {
            Nodes[path] = node;
            Nodes[PathRules.Parent(path)].Children!.Add(path);
        }
    }

    /// <summary>Flattens the layers (base first) into the final tree, or the first refusal.</summary>
    [Pure]
    public static Fin<MergedTree> Apply(Seq<Seq<LayerEntry>> layersBaseFirst, MergeOptions options)
    {
        var tree = new Tree();
        var layerNumber = 0;
        foreach (var layer in layersBaseFirst)
        {
            layerNumber++;
            var applied = ApplyLayer(tree, layer, layerNumber);
            if (applied is not null) return applied;
        }
        return Flatten(tree, options);
    }

    /// <summary>Applies one layer; Some(error) on a refusal.</summary>
    static Error? ApplyLayer(Tree tree, Seq<LayerEntry> layer, int layerNumber)
    {
        var whiteouts = new List<string>();
        var opaques = new List<string>();
        var entries = new List<(string Path, LayerEntry Entry)>();

        foreach (var entry in layer)
        {
            var normalized = PathRules.Normalize(entry.Name);
            if (normalized.IsFail) return Prefixed(layerNumber, (Error)normalized);
            var path = (string)normalized;
            switch (Classify(path))
            {
                case Marker.None:
                    if (path == PathRules.Root && entry.Kind != LayerEntryKind.Directory)
                        return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"the root must be a directory, not a {Describe(entry.Kind)}");
                    entries.Add((path, entry));
                    break;
                case Marker.Whiteout:
                    var hidden = PathRules.BaseName(path)[WhiteoutPrefix.Length..];
                    if (hidden is "" or "." or "..")
                        return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"whiteout \"{WhiteoutPrefix}{hidden}\" names no file");
                    whiteouts.Add(PathRules.Join(PathRules.Parent(path), hidden));
                    break;
                case Marker.Opaque:
                    opaques.Add(PathRules.Parent(path));
                    break;
                case Marker.AufsInternal:
                    break;
                case Marker.MarkerAsDirectory:
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, "a whiteout marker cannot be a directory");
            }
        }

        // Markers act on the lower layers only: apply them before any entry of this layer exists.
        foreach (var path in whiteouts) tree.Remove(path);
        foreach (var directory in opaques)
            if (tree.Nodes.TryGetValue(directory, out var node) && node.Kind == LayerEntryKind.Directory)
                tree.RemoveChildren(node);

        foreach (var (path, entry) in entries)
        {
            var applied = ApplyEntry(tree, path, entry, layerNumber);
            if (applied is not null) return applied;
        }
        return null;
    }

    static Error? ApplyEntry(Tree tree, string path, LayerEntry entry, int layerNumber)
    {
        var mode = entry.Mode & PermissionBits;
        if (path == PathRules.Root)
        {
            var root = tree.Nodes[PathRules.Root];
            tree.Nodes[PathRules.Root] = root.WithMetadata(mode, entry);
            return null;
        }

        // Parents: existing ones must be directories (never written through); missing ones are created.
        var slash = path.IndexOf('/');
        while (slash >= 0)
        {
            var ancestor = path[..slash];
            if (tree.Nodes.TryGetValue(ancestor, out var existing))
            {
                if (existing.Kind == LayerEntryKind.Symlink)
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"it would write through symlink \"{CoreErrors.Printable(ancestor)}\"");
                if (existing.Kind != LayerEntryKind.Directory)
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"parent \"{CoreErrors.Printable(ancestor)}\" is a {Describe(existing.Kind)}, not a directory");
            }
            else
            {
                tree.Insert(ancestor, Node.Directory(0b111_101_101, 0, 0, entry.ModifiedTime, Map<OrdStringOrdinal, string, byte[]>.Empty));
            }
            slash = path.IndexOf('/', slash + 1);
        }

        Node node;
        switch (entry.Kind)
        {
            case LayerEntryKind.Directory:
                if (tree.Nodes.TryGetValue(path, out var current) && current.Kind == LayerEntryKind.Directory)
                {
                    // Directory over directory: new metadata, same children.
                    tree.Nodes[path] = current.WithMetadata(mode, entry);
                    return null;
                }
                node = Node.Directory(mode, entry.Uid, entry.Gid, entry.ModifiedTime, entry.Xattrs);
                break;
            case LayerEntryKind.HardLink:
                var target = PathRules.Normalize(entry.LinkTarget);
                if (target.IsFail)
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"hard link target: {((Error)target).Message}");
                var targetPath = (string)target;
                if (!tree.Nodes.TryGetValue(targetPath, out var linked))
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"hard link target \"{CoreErrors.Printable(entry.LinkTarget)}\" does not exist");
                if (linked.Kind != LayerEntryKind.File)
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"hard link target \"{CoreErrors.Printable(entry.LinkTarget)}\" is a {Describe(linked.Kind)}, not a regular file");
                node = linked;
                break;
            default:
                node = new Node
                {
                    Kind = entry.Kind,
                    Mode = mode,
                    Uid = entry.Uid,
                    Gid = entry.Gid,
                    ModifiedTime = entry.ModifiedTime,
                    Xattrs = entry.Xattrs,
                    LinkTarget = entry.Kind == LayerEntryKind.Symlink ? entry.LinkTarget : "",
                    DeviceMajor = entry.DeviceMajor,
                    DeviceMinor = entry.DeviceMinor,
                    Size = entry.Kind == LayerEntryKind.File ? entry.Size : 0,
                    DataRef = entry.DataRef,
                };
                break;
        }
        // Anything else is replaced with unlink semantics (a directory goes with its subtree).
        tree.Remove(path);
        tree.Insert(path, node);
        return null;
    }

    static Fin<MergedTree> Flatten(Tree tree, MergeOptions options)
    {
        var paths = tree.Nodes.Keys.ToArray();
        Array.Sort(paths, PathRules.Comparer);

        // The first path (in output order) holding a file's data writes it; the others become hard links to it.
        var holders = new Dictionary<Node, string>(ReferenceEqualityComparer.Instance);
        var output = new List<MergedEntry>(paths.Length);
        var links = new List<MergedEntry>();
        var stripped = new List<string>();
        long bytes = 0;
        foreach (var path in paths)
        {
            var node = tree.Nodes[path];
            var mode = node.Mode;
            if (options.StripSetuid && node.Kind != LayerEntryKind.Symlink && (mode & SetuidBits) != 0) mode &= ~SetuidBits;
            var entry = new MergedEntry
            {
                Path = path,
                Kind = node.Kind,
                Mode = mode,
                Uid = node.Uid,
                Gid = node.Gid,
                ModifiedTime = node.ModifiedTime,
                Xattrs = node.Xattrs,
                LinkTarget = node.LinkTarget,
                DeviceMajor = node.DeviceMajor,
                DeviceMinor = node.DeviceMinor,
                Size = node.Size,
                DataRef = node.DataRef,
            };
            if (node.Kind == LayerEntryKind.File)
            {
                if (holders.TryGetValue(node, out var holder))
                {
                    links.Add(entry with { Kind = LayerEntryKind.HardLink, LinkTarget = holder });
                    continue;
                }
                holders[node] = path;
                bytes += node.Size;
            }
            if (mode != node.Mode) stripped.Add(path);
            output.Add(entry);
        }
        output.AddRange(links);
        stripped.Sort(StringComparer.Ordinal);
        return new MergedTree(
            output.ToArray().ToSeq().Strict(),
            bytes,
            stripped.Count,
            stripped.Take(MergedTree.StrippedPathLimit).ToArray().ToSeq().Strict());
    }

    const string WhiteoutPrefix = ".wh.";
    const string MetaPrefix = ".wh..wh.";
    const string OpaqueMarker = ".wh..wh..opq";

    enum Marker { None, Whiteout, Opaque, AufsInternal, MarkerAsDirectory }

    static Marker Classify(string path)
    {
        if (path == PathRules.Root) return Marker.None;
        var components = path.Split('/');
        for (var i = 0; i < components.Length - 1; i++)
        {
            if (components[i].StartsWith(MetaPrefix, StringComparison.Ordinal)) return Marker.AufsInternal;
            if (components[i].StartsWith(WhiteoutPrefix, StringComparison.Ordinal)) return Marker.MarkerAsDirectory;
        }
        var last = components[^1];
        if (last == OpaqueMarker) return Marker.Opaque;
        if (last.StartsWith(MetaPrefix, StringComparison.Ordinal)) return Marker.AufsInternal;
        if (last.StartsWith(WhiteoutPrefix, StringComparison.Ordinal)) return Marker.Whiteout;
        return Marker.None;
    }

    static Error? Prefixed(int layerNumber, Error error) => Error.New(error.Code, $"layer {layerNumber}: {error.Message}");

    static string Describe(LayerEntryKind kind) => kind switch
    {
        LayerEntryKind.File => "regular file",
        LayerEntryKind.Directory => "directory",
        LayerEntryKind.Symlink => "symlink",
        LayerEntryKind.HardLink => "hard link",
        LayerEntryKind.CharDevice => "character device",
        LayerEntryKind.BlockDevice => "block device",
        _ => "FIFO",
    };
}
