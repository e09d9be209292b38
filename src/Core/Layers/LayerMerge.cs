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
/// <item>Symlinks in the tree are resolved <em>inside the image root</em> (chroot-style, like containerd's
/// <c>fs.RootPath</c> and umoci's <c>securejoin</c>, which fix umoci CVE-2021-29136): when a parent component of
/// an entry's path is a symlink, the entry lands where the symlink points within the image, never outside it. An
/// absolute target (<c>/tmp</c>) starts again at the image root; a relative one is relative to the symlink's own
/// directory; <c>..</c> goes up one component of the path resolved so far and stops at the root (so
/// <c>a → ../../..</c> then <c>a/x</c> writes <c>x</c>); chains are followed, and more than
/// <see cref="MaxSymlinkHops"/> symlinks in one resolution (a loop such as <c>a → a</c>) is refused with
/// "too many levels of symbolic links". A followed target with a component that cannot exist in an image (a NUL,
/// more than 255 bytes, a <c>.wh.</c> prefix) is refused. The entry's own last component is never followed: a file
/// entry over a symlink replaces the symlink. So <c>etc → /tmp</c> then <c>etc/passwd</c> writes <c>tmp/passwd</c>.</item>
/// <item>The other entries apply in tar order, each against the tree as it stands (earlier entries of its layer
/// included). Missing parents at the resolved location are created as 0755 root-owned directories with the entry's
/// mtime (a later directory entry replaces that metadata); a dangling symlink parent therefore gets its target
/// directories created inside the root (containerd's <c>RootPath</c> + <c>MkdirAll</c>). An existing resolved parent
/// that is not a directory (a file, a FIFO, …) is refused: the write cannot happen.</item>
/// <item>Whiteout and opaque markers resolve their directory the same way (containerd does the same: the marker's
/// parent goes through <c>fs.RootPath</c> before the whiteout is converted), against the tree the lower layers left;
/// all of a layer's markers are resolved before any of them removes anything, so their order does not matter. So
/// <c>link → real</c> then <c>link/.wh.f</c> removes <c>real/f</c>, and <c>link/.wh..wh..opq</c> empties
/// <c>real</c>; <c>.wh.link</c> removes the symlink itself (the hidden name is a last component, not followed).
/// A symlink loop in a marker's directory is refused like an entry's.</item>
/// <item>An entry over an existing path replaces it and its subtree, except a directory over a directory,
/// which only replaces the metadata (mode, owner, mtime, xattrs) and keeps the children. Duplicates: last wins.</item>
/// <item>A hard link names a regular file present when the link is applied (a lower layer or earlier in its
/// own layer), its target's parent components resolved inside the root like an entry's (its last component is not
/// followed, so a link to a symlink is refused); it shares that file's data and metadata from then on, even if the target path is later replaced
/// or removed. A missing target, a target that is not a regular file, or a target name that fails
/// <see cref="PathRules.Normalize"/> is refused.</item>
/// <item>The root entry must be a directory.</item>
/// </list>
/// </summary>
public static class LayerMerge
{
    const int SetuidBits = 0b110_000_000_000; // 06000
    const int PermissionBits = 0xFFF;        // 07777

    /// <summary>Most symlinks followed while resolving one path (Linux's <c>MAXSYMLINKS</c>); one more is refused.</summary>
    public const int MaxSymlinkHops = 40;

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
        var whiteouts = new List<(string Name, string Path)>();
        var opaques = new List<(string Name, string Path)>();
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
                    whiteouts.Add((entry.Name, PathRules.Join(PathRules.Parent(path), hidden)));
                    break;
                case Marker.Opaque:
                    opaques.Add((entry.Name, PathRules.Parent(path)));
                    break;
                case Marker.AufsInternal:
                    break;
                case Marker.MarkerAsDirectory:
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, "a whiteout marker cannot be a directory");
            }
        }

        // Markers act on the lower layers only: apply them before any entry of this layer exists. Their directories
        // are resolved (inside the root) first, all of them, so one marker's removal never redirects another.
        var hide = new List<string>(whiteouts.Count);
        foreach (var (name, path) in whiteouts)
        {
            var (directory, problem) = Resolve(tree, PathRules.Parent(path));
            if (problem is not null) return CoreErrors.LayerEntryRefused(layerNumber, name, problem);
            hide.Add(PathRules.Join(directory, PathRules.BaseName(path)));
        }
        var empty = new List<string>(opaques.Count);
        foreach (var (name, path) in opaques)
        {
            var (directory, problem) = Resolve(tree, path);
            if (problem is not null) return CoreErrors.LayerEntryRefused(layerNumber, name, problem);
            empty.Add(directory);
        }
        foreach (var path in hide) tree.Remove(path);
        foreach (var directory in empty)
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

        // The parent is resolved inside the root (symlinks followed, chroot-style); the last component is not.
        var (parent, unresolved) = Resolve(tree, PathRules.Parent(path));
        if (unresolved is not null) return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, unresolved);
        path = PathRules.Join(parent, PathRules.BaseName(path));

        // Parents: existing ones must be directories (none is a symlink once resolved); missing ones are created.
        var slash = path.IndexOf('/');
        while (slash >= 0)
        {
            var ancestor = path[..slash];
            if (tree.Nodes.TryGetValue(ancestor, out var existing))
            {
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
                var (targetParent, targetProblem) = Resolve(tree, PathRules.Parent((string)target));
                if (targetProblem is not null)
                    return CoreErrors.LayerEntryRefused(layerNumber, entry.Name, $"hard link target \"{CoreErrors.Printable(entry.LinkTarget)}\": {targetProblem}");
                var targetPath = (string)target == PathRules.Root ? PathRules.Root : PathRules.Join(targetParent, PathRules.BaseName((string)target));
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

    /// <summary>
    /// Resolves a normalised path inside the image root, following every component that is a symlink in the tree
    /// (the last one included: callers pass a directory). Returns the path with no symlink component, or a refusal
    /// reason. Absolute targets restart at the root, relative ones at the symlink's directory; <c>..</c> drops the
    /// last resolved component and stops at the root; at most <see cref="MaxSymlinkHops"/> symlinks are followed.
    /// <c>..</c> is lexical over the resolved path, which holds no symlink, as in securejoin and containerd.
    /// </summary>
    static (string Path, string? Problem) Resolve(Tree tree, string path)
    {
        if (!PassesThroughSymlink(tree, path)) return (path, null);
        var pending = new Stack<string>();
        Push(pending, path);
        var current = PathRules.Root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var component = pending.Pop();
            if (component is "" or ".") continue;
            if (component == "..")
            {
                current = current == PathRules.Root ? PathRules.Root : PathRules.Parent(current);
                continue;
            }
            var candidate = PathRules.Join(current, component);
            if (tree.Nodes.TryGetValue(candidate, out var node) && node.Kind == LayerEntryKind.Symlink)
            {
                if (++hops > MaxSymlinkHops)
                    return (path, $"too many levels of symbolic links (more than {MaxSymlinkHops}) resolving \"{CoreErrors.Printable(path)}\"");
                var target = node.LinkTarget;
                foreach (var part in target.Split('/'))
                    if (part.Contains('\0') || part.StartsWith(WhiteoutPrefix, StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(part) > PathRules.MaxComponentBytes)
                        return (path, $"symlink \"{CoreErrors.Printable(candidate)}\" points at \"{CoreErrors.Printable(target)}\", a name that cannot exist in an image");
                if (target.StartsWith('/')) current = PathRules.Root;
                Push(pending, target);
                continue;
            }
            current = candidate;
        }
        return (current, null);
    }

    /// <summary>Pushes a path's components so that the first is popped first.</summary>
    static void Push(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    /// <summary>True when the path or one of its ancestors is a symlink in the tree (the common case is false).</summary>
    static bool PassesThroughSymlink(Tree tree, string path)
    {
        if (path == PathRules.Root) return false;
        var end = path.IndexOf('/');
        while (true)
        {
            var prefix = end < 0 ? path : path[..end];
            if (!tree.Nodes.TryGetValue(prefix, out var node)) return false; // nothing below a missing path exists
            if (node.Kind == LayerEntryKind.Symlink) return true;
            if (end < 0) return false;
            end = path.IndexOf('/', end + 1);
        }
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
