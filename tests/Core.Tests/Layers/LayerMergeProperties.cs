using CsCheck;
using ImageCache.Core.Layers;
using LanguageExt;
using Xunit.Abstractions;

namespace ImageCache.Core.Tests.Layers;

/// <summary>
/// <see cref="LayerMerge.Apply"/> against a deliberately simple bottom-up model over random layer stacks drawn
/// from a small path pool (so replacements, whiteouts and links collide often).
/// </summary>
public class LayerMergeProperties(ITestOutputHelper output)
{
    // ----- generated operations -----------------------------------------------------------------------------

    enum OpKind { Entry, Whiteout, Opaque }

    /// <summary>What the entry means (canonical paths, for the model) and the raw entry the merge receives.</summary>
    sealed record Op(OpKind Kind, string Path, string Target, LayerEntry Raw);

    static readonly string[] PathPool = { "a", "a/b", "a/b/c", "d", "d/e" };
    static readonly string[] DirPool = { ".", "a", "a/b", "d" };

    /// <summary>A raw tar spelling of a canonical path.</summary>
    static Gen<string> Spelling(string path) => path == "."
        ? Gen.OneOf("./", ".")
        : Gen.OneOf(path, "./" + path, path + "/", "./" + path.Replace("/", "//"));

    static readonly Gen<int> FileMode = Gen.OneOf(0b110_100_100, 0b111_101_101, 0b100_111_101_101, 0b10_111_101_101);
    static readonly Gen<int> DirMode = Gen.OneOf(0b111_101_101, 0b111_000_000, 0b10_111_111_101, 0b1_111_111_111);
    static readonly Gen<long> Owner = Gen.OneOf(0L, 1000L);

    static readonly string[] Leaves = { "a/b/c", "d/e" };

    /// <summary>
    /// Symlink targets: relative and absolute ones to directories of the pool, ones climbing with <c>..</c> (to the
    /// root and past it), <c>/</c> itself, dangling ones (relative and absolute), and a loop to the symlink itself.
    /// </summary>
    static Gen<string> SymlinkTarget(string path) => Gen.OneOf(
        "a", "/a", "a/b", "/a/b", "d", "/d/", "../d", "../a/b", "..", "../..", "/", "/../..", ".",
        "missing", "/x/y", "../x", PathRules.BaseName(path), "/" + path);

    /// <summary>
    /// Mostly-valid entries, built constructively: inner paths (a, a/b, d) are usually directories, leaves get any
    /// kind. A symlink or file on an inner path happens often enough that later entries go through it (resolved
    /// inside the root, or refused for a loop or a file parent).
    /// </summary>
    static readonly Gen<Op> EntryOp =
        from path in Gen.OneOf(PathPool)
        from kind in Leaves.Contains(path)
            ? Gen.Frequency((3, Gen.Const(LayerEntryKind.File)), (1, Gen.Const(LayerEntryKind.Symlink)), (1, Gen.Const(LayerEntryKind.Fifo)), (1, Gen.Const(LayerEntryKind.Directory)))
            : Gen.Frequency((12, Gen.Const(LayerEntryKind.Directory)), (1, Gen.Const(LayerEntryKind.File)), (4, Gen.Const(LayerEntryKind.Symlink)))
        from raw in Spelling(path)
        from m in kind == LayerEntryKind.Directory ? DirMode : kind == LayerEntryKind.Symlink ? Gen.Const(0b111_111_111) : FileMode
        from uid in Owner
        from symlinkTarget in SymlinkTarget(path)
        select new Op(OpKind.Entry, path, "", new LayerEntry
        {
            Name = raw, Kind = kind, Mode = m, Uid = uid, Gid = uid, Size = uid + 1,
            LinkTarget = kind == LayerEntryKind.Symlink ? symlinkTarget : "",
        });

    /// <summary>Hard links between the leaves (and now and then to an inner path, which is refused).</summary>
    static readonly Gen<Op> HardLinkOp =
        from path in Gen.Frequency((4, Gen.OneOf(Leaves)), (1, Gen.OneOf(PathPool)))
        from raw in Spelling(path)
        from target in Gen.Frequency((4, Gen.OneOf(Leaves)), (1, Gen.OneOf(PathPool)))
        from rawTarget in Gen.OneOf(target, "./" + target)
        select new Op(OpKind.Entry, path, target, new LayerEntry { Name = raw, Kind = LayerEntryKind.HardLink, LinkTarget = rawTarget });

    static readonly Gen<Op> WhiteoutOp =
        from path in Gen.OneOf(PathPool)
        from dir in Spelling(PathRules.Parent(path))
        select new Op(OpKind.Whiteout, path, "", new LayerEntry { Name = dir.TrimEnd('/') + "/.wh." + PathRules.BaseName(path), Kind = LayerEntryKind.File });

    static readonly Gen<Op> OpaqueOp =
        from dir in Gen.OneOf(DirPool)
        from raw in Spelling(dir)
        select new Op(OpKind.Opaque, dir, "", new LayerEntry { Name = raw.TrimEnd('/') + "/.wh..wh..opq", Kind = LayerEntryKind.File });

    static readonly Gen<Op> RootOp =
        from raw in Spelling(".")
        from m in DirMode
        from uid in Owner
        select new Op(OpKind.Entry, ".", "", new LayerEntry { Name = raw, Kind = LayerEntryKind.Directory, Mode = m, Uid = uid, Gid = uid });

    static readonly Gen<Op> AnyOp = Gen.Frequency(
        (10, EntryOp),
        (1, HardLinkOp),
        (2, WhiteoutOp),
        (1, OpaqueOp),
        (1, RootOp));

    /// <summary>1–4 layers of 0–6 operations; each raw entry gets DataRef (layer, position).</summary>
    static readonly Gen<Op[][]> Stacks =
        AnyOp.Array[0, 6].Array[1, 4].Select(layers => layers
            .Select((layer, l) => layer.Select((op, i) => op with { Raw = op.Raw with { DataRef = new DataRef(l, i) } }).ToArray())
            .ToArray());

    static readonly Gen<(Op[][] Stack, bool Strip)> Cases = Gen.Select(Stacks, Gen.Bool);

    static Seq<Seq<LayerEntry>> RawStack(Op[][] stack) =>
        stack.Select(layer => layer.Select(op => op.Raw).ToSeq().Strict()).ToSeq().Strict();

    // ----- the model ----------------------------------------------------------------------------------------

    /// <summary>An inode: hard links share the object, so reference identity is file identity.</summary>
    sealed record Node(LayerEntryKind Kind, int Mode, long Uid, string LinkTarget, DataRef Data);

    static readonly Node ImplicitDirectory = new(LayerEntryKind.Directory, 0b111_101_101, 0, "", default);

    /// <summary>
    /// Where a directory path really is: every symlink met on the way is replaced by its target, inside the root
    /// (chroot-style). Absolute targets restart at the root, relative ones continue from the symlink's directory,
    /// ".." drops the last real component (never above the root). Null after more than 40 symlinks (a loop).
    /// </summary>
    static string? Resolve(Dictionary<string, Node> tree, string path, Coverage seen)
    {
        var real = new List<string>();                 // components resolved so far: no symlink among them
        var todo = new List<string>(path.Split('/'));  // components still to walk, in order
        var followed = 0;
        while (todo.Count > 0)
        {
            var c = todo[0];
            todo.RemoveAt(0);
            if (c is "" or ".") continue;
            if (c == "..") { if (real.Count > 0) real.RemoveAt(real.Count - 1); continue; }
            var here = string.Join('/', real.Append(c));
            if (tree.TryGetValue(here, out var node) && node.Kind == LayerEntryKind.Symlink)
            {
                seen.Followed = true;
                if (++followed > 40) { seen.Loop = true; return null; } // ELOOP
                if (node.LinkTarget.StartsWith('/')) real.Clear(); // absolute: from the image root
                todo.InsertRange(0, node.LinkTarget.Split('/'));  // walk the target first, then the rest
                continue;
            }
            real.Add(c);
        }
        return real.Count == 0 ? "." : string.Join('/', real);
    }

    /// <summary>A path whose parent is resolved and whose last component is kept as is (never followed).</summary>
    static string? ResolveParent(Dictionary<string, Node> tree, string path, Coverage seen)
    {
        var parent = Resolve(tree, PathRules.Parent(path), seen);
        return parent is null ? null : PathRules.Join(parent, PathRules.BaseName(path));
    }

    /// <summary>What the model met, so the property can check the generator reaches the symlink cases.</summary>
    sealed class Coverage { public bool Followed; public bool Loop; }

    /// <summary>The final tree (path → inode, root under "."), or null where the merge must refuse.</summary>
    static Dictionary<string, Node>? Model(Op[][] stack, Coverage seen)
    {
        var tree = new Dictionary<string, Node> { ["."] = ImplicitDirectory }; // an empty tree: just a 0755 root
        void RemoveBelow(string dir) // everything strictly below dir
        {
            foreach (var key in tree.Keys.ToArray())
                if (key != "." && (dir == "." || key.StartsWith(dir + "/", StringComparison.Ordinal))) tree.Remove(key);
        }

        foreach (var layer in stack)
        {
            // Whiteouts and opaques act on the tree the lower layers left (so they never hide this layer's entries),
            // at their resolved places: every marker is resolved before any of them removes anything.
            var hidden = new List<string>();
            foreach (var op in layer.Where(o => o.Kind == OpKind.Whiteout))
            {
                var at = ResolveParent(tree, op.Path, seen); // .wh.NAME: NAME itself is not followed
                if (at is null) return null;
                hidden.Add(at);
            }
            var opaque = new List<string>();
            foreach (var op in layer.Where(o => o.Kind == OpKind.Opaque))
            {
                var at = Resolve(tree, op.Path, seen); // the marker's directory, followed all the way
                if (at is null) return null;
                opaque.Add(at);
            }
            foreach (var path in hidden)
            {
                tree.Remove(path); // .wh.NAME hides NAME …
                RemoveBelow(path); // … and its subtree
            }
            foreach (var path in opaque)
                if (tree.TryGetValue(path, out var dir) && dir.Kind == LayerEntryKind.Directory)
                    RemoveBelow(path); // the opaque directory keeps itself, loses its lower children

            // The layer's entries then apply in tar order.
            foreach (var op in layer.Where(o => o.Kind == OpKind.Entry))
            {
                var e = op.Raw;
                if (op.Path == ".") { tree["."] = new Node(LayerEntryKind.Directory, e.Mode, e.Uid, "", e.DataRef); continue; } // root: metadata only

                // The parent goes through symlinks (inside the root); the entry lands at the resolved place.
                var path = ResolveParent(tree, op.Path, seen);
                if (path is null) return null;

                // Each resolved ancestor must be a directory if present (a file cannot hold children); missing ones are made.
                var parts = path.Split('/');
                for (var i = 1; i < parts.Length; i++)
                {
                    var ancestor = string.Join('/', parts.Take(i));
                    if (!tree.TryGetValue(ancestor, out var existing)) tree[ancestor] = ImplicitDirectory;
                    else if (existing.Kind != LayerEntryKind.Directory) return null;
                }

                Node node;
                if (e.Kind == LayerEntryKind.HardLink)
                {
                    // A hard link shares the regular file at its (parent-resolved) target right now; anything else is refused.
                    var targetPath = ResolveParent(tree, op.Target, seen);
                    if (targetPath is null || !tree.TryGetValue(targetPath, out var target) || target.Kind != LayerEntryKind.File) return null;
                    node = target;
                }
                else node = new Node(e.Kind, e.Mode, e.Uid, e.Kind == LayerEntryKind.Symlink ? e.LinkTarget : "", e.DataRef);

                // Directory over directory keeps the children; any other replacement drops the old subtree.
                var bothDirectories = tree.TryGetValue(path, out var old) && old.Kind == LayerEntryKind.Directory && node.Kind == LayerEntryKind.Directory;
                if (!bothDirectories) RemoveBelow(path);
                tree[path] = node;
            }
        }
        return tree;
    }

    /// <summary>What is compared per path: kind (links as files), mode, owner, symlink target, data identity.</summary>
    static (LayerEntryKind, int, long, string, DataRef) View(LayerEntryKind kind, int mode, long uid, string link, DataRef data) =>
        kind is LayerEntryKind.File or LayerEntryKind.HardLink
            ? (LayerEntryKind.File, mode, uid, "", data)
            : (kind, mode, uid, kind == LayerEntryKind.Symlink ? link : "", default);

    const int SetuidBits = 0b110_000_000_000;

    [Fact]
    public void Merge_equals_the_bottom_up_model()
    {
        int valid = 0, total = 0, followed = 0, loops = 0;
        Cases.Sample(c =>
        {
            var seen = new Coverage();
            var expected = Model(c.Stack, seen);
            if (seen.Loop) Interlocked.Increment(ref loops);
            var actual = LayerMerge.Apply(RawStack(c.Stack), new MergeOptions(c.Strip));
            Interlocked.Increment(ref total);
            if (expected is null)
            {
                Assert.True(actual.IsFail, "the model refuses this stack, the merge did not");
                return;
            }
            Interlocked.Increment(ref valid);
            if (seen.Followed) Interlocked.Increment(ref followed);
            var tree = Support.Succ(actual);

            int Final(Node n) => c.Strip && n.Kind != LayerEntryKind.Symlink ? n.Mode & ~SetuidBits : n.Mode; // the setuid policy
            var expectedView = expected.ToDictionary(kv => kv.Key, kv => View(kv.Value.Kind, Final(kv.Value), kv.Value.Uid, kv.Value.LinkTarget, kv.Value.Data), StringComparer.Ordinal);
            var actualView = tree.Entries.ToDictionary(e => e.Path, e => View(e.Kind, e.Mode, e.Uid, e.LinkTarget, e.DataRef), StringComparer.Ordinal);
            Assert.Equal(expectedView.OrderBy(kv => kv.Key, StringComparer.Ordinal), actualView.OrderBy(kv => kv.Key, StringComparer.Ordinal));

            // Paths sharing one model inode are exactly the paths sharing one file's data.
            var inodes = expected.Where(kv => kv.Value.Kind == LayerEntryKind.File).GroupBy(kv => kv.Value, kv => kv.Key, ReferenceEqualityComparer.Instance);
            var holders = tree.Entries.Where(e => e.Kind is LayerEntryKind.File or LayerEntryKind.HardLink)
                .GroupBy(e => e.Kind == LayerEntryKind.File ? e.Path : e.LinkTarget, e => e.Path);
            Assert.Equal(
                inodes.Select(g => string.Join(",", g.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal),
                holders.Select(g => string.Join(",", g.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal));

            var distinct = expected.Values.Distinct(ReferenceEqualityComparer.Instance).Cast<Node>();
            Assert.Equal(c.Strip ? distinct.Count(n => n.Kind != LayerEntryKind.Symlink && (n.Mode & SetuidBits) != 0) : 0, tree.StrippedSetuidCount);
            Assert.Equal(distinct.Where(n => n.Kind == LayerEntryKind.File).Sum(n => SizeOf(c.Stack, n.Data)), tree.RegularFileBytes);
        }, iter: 3000);
        output.WriteLine($"{valid} of {total} generated stacks were valid; {followed} valid ones went through a symlink; {loops} met a loop");
        Assert.True(followed * 20 > valid, $"over 5% of the valid stacks should resolve a symlink ({followed} of {valid})");
        Assert.True(loops > 0, "some stacks should meet a symlink loop");
        Assert.True(valid * 5 > total * 2, $"the generator should make mostly valid stacks (over 40%) ({valid} of {total})");
    }

    static long SizeOf(Op[][] stack, DataRef data) => stack[data.Layer][data.Entry].Raw.Size;

    [Fact]
    public void Directories_precede_their_children_and_hard_links_follow_their_files() =>
        Cases.Sample(c =>
        {
            var result = LayerMerge.Apply(RawStack(c.Stack), new MergeOptions(c.Strip));
            if (result.IsFail) return;
            var entries = Support.Succ(result).Entries.ToArray();
            var position = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < entries.Length; i++)
            {
                var e = entries[i];
                Assert.True(position.TryAdd(e.Path, i), $"{e.Path} appears twice");
                if (i == 0) { Assert.Equal((PathRules.Root, LayerEntryKind.Directory), (e.Path, e.Kind)); continue; }
                var parent = PathRules.Parent(e.Path);
                Assert.True(position.TryGetValue(parent, out var p) && entries[p].Kind == LayerEntryKind.Directory, $"{e.Path} before its directory");
                if (e.Kind == LayerEntryKind.HardLink)
                    Assert.True(position.TryGetValue(e.LinkTarget, out var t) && entries[t].Kind == LayerEntryKind.File, $"{e.Path} before its file {e.LinkTarget}");
            }
        }, iter: 1000);
}
