using ImageCache.Core.Layers;
using LanguageExt.Common;
using static ImageCache.Core.Tests.Layers.LayerSupport;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests.Layers;

/// <summary>One named example per rule of <see cref="LayerMerge.Apply"/> (oci-rules §3.6).</summary>
public class LayerMergeTests
{
    static Error Refused(params LayerEntry[][] layers) => Fail(Merge(layers));

    // ----- whiteouts ----------------------------------------------------------------------------------------

    [Fact]
    public void A_whiteout_hides_a_lower_file_and_the_marker_itself_is_hidden()
    {
        var tree = Merged(L(Dir("etc"), File("etc/a"), File("etc/b")), L(Marker("etc/.wh.a")));
        Assert.Equal(new[] { ".", "etc", "etc/b" }, Paths(tree));
    }

    [Fact]
    public void A_whiteout_hides_a_lower_directory_with_its_subtree()
    {
        var tree = Merged(L(Dir("a"), Dir("a/b"), File("a/b/c"), File("a/bc")), L(Marker("a/.wh.b")));
        Assert.Equal(new[] { ".", "a", "a/bc" }, Paths(tree));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_whiteout_does_not_hide_an_entry_of_its_own_layer_whatever_the_order(bool markerFirst)
    {
        var upper = markerFirst ? L(Marker("a/.wh.f"), File("a/f", uid: 7)) : L(File("a/f", uid: 7), Marker("a/.wh.f"));
        var tree = Merged(L(Dir("a"), File("a/f", uid: 1), File("a/g")), upper);
        var f = ByPath(tree)["a/f"];
        Assert.Equal(7, f.Uid);
        Assert.Equal(new DataRef(1, markerFirst ? 1 : 0), f.DataRef);
        Assert.Contains("a/g", Paths(tree));
    }

    [Fact]
    public void A_whiteout_and_a_same_layer_directory_replace_the_lower_directory_without_its_children()
    {
        var tree = Merged(L(Dir("a"), File("a/old")), L(Dir("a", uid: 5), File("a/new"), Marker(".wh.a")));
        Assert.Equal(new[] { ".", "a", "a/new" }, Paths(tree));
        Assert.Equal(5, ByPath(tree)["a"].Uid);
    }

    [Fact]
    public void A_later_layer_can_bring_back_a_whited_out_path()
    {
        var tree = Merged(L(File("f")), L(Marker(".wh.f")), L(File("f", uid: 3)));
        Assert.Equal(3, ByPath(tree)["f"].Uid);
        Assert.Equal(new DataRef(2, 0), ByPath(tree)["f"].DataRef);
    }

    [Fact]
    public void A_whiteout_of_a_missing_path_does_nothing_and_creates_no_directory()
    {
        var tree = Merged(L(File("f")), L(Marker("x/y/.wh.z"), Marker(".wh.nothing")));
        Assert.Equal(new[] { ".", "f" }, Paths(tree));
    }

    [Fact]
    public void Markers_below_a_symlink_act_at_the_resolved_directory_like_containerd()
    {
        // containerd resolves a marker's parent with fs.RootPath before converting it, so .wh. markers follow symlinks.
        var lower = L(Dir("real"), File("real/f"), File("real/g"), Symlink("link", "/real"));
        Assert.Equal(new[] { ".", "link", "real", "real/g" }, Paths(Merged(lower, L(Marker("link/.wh.f")))));
        Assert.Equal(new[] { ".", "link", "real" }, Paths(Merged(lower, L(Marker("link/.wh..wh..opq")))));
        // The hidden name is a last component: .wh.link removes the symlink, not what it points at.
        Assert.Equal(new[] { ".", "real", "real/f", "real/g" }, Paths(Merged(lower, L(Marker(".wh.link")))));
        // All markers resolve against the lower tree first, so removing the symlink in the same layer changes nothing.
        Assert.Equal(new[] { ".", "real", "real/g" }, Paths(Merged(lower, L(Marker(".wh.link"), Marker("link/.wh.f")))));
        // A dangling directory makes a marker do nothing (and create nothing); a loop is refused.
        Assert.Equal(new[] { ".", "dangling" }, Paths(Merged(L(Symlink("dangling", "/no/where")), L(Marker("dangling/.wh.x")))));
        Assert.Contains("too many levels of symbolic links", Refused(L(Symlink("loop", "loop")), L(Marker("loop/.wh.x"))).Message);
    }

    [Theory]
    [InlineData(".wh.", "\".wh.\" names no file")]
    [InlineData("a/.wh.", "names no file")]
    [InlineData("a/.wh..", "names no file")]
    [InlineData("a/.wh...", "names no file")]
    [InlineData("a/.wh.b/c", "a whiteout marker cannot be a directory")]
    public void Malformed_whiteouts_are_refused(string name, string reason)
    {
        var error = Refused(L(Dir("a")), L(Marker(name)));
        Assert.Equal(ErrorCodes.LayerEntryRefused, error.Code);
        Assert.StartsWith($"layer 2: entry \"{name}\" refused: ", error.Message);
        Assert.Contains(reason, error.Message);
    }

    // ----- opaque directories -------------------------------------------------------------------------------

    [Fact]
    public void An_opaque_marker_before_its_siblings_hides_all_lower_children_but_keeps_the_directory()
    {
        var tree = Merged(
            L(Dir("a", uid: 4), File("a/x"), Dir("a/sub"), File("a/sub/deep"), File("keep")),
            L(Marker("a/.wh..wh..opq"), File("a/z")));
        Assert.Equal(new[] { ".", "a", "a/z", "keep" }, Paths(tree));
        Assert.Equal(4, ByPath(tree)["a"].Uid);
    }

    [Fact]
    public void An_opaque_marker_after_its_siblings_still_keeps_them()
    {
        var tree = Merged(
            L(Dir("a"), File("a/x"), File("a/y")),
            L(Dir("a"), File("a/z"), Dir("a/w"), File("a/w/v"), Marker("a/.wh..wh..opq")));
        Assert.Equal(new[] { ".", "a", "a/w", "a/w/v", "a/z" }, Paths(tree));
    }

    [Fact]
    public void An_opaque_marker_at_the_root_hides_the_whole_lower_tree()
    {
        var tree = Merged(L(Dir("a"), File("a/x"), File("b")), L(File("c"), Marker("./.wh..wh..opq")));
        Assert.Equal(new[] { ".", "c" }, Paths(tree));
    }

    [Fact]
    public void An_opaque_marker_in_a_missing_directory_does_nothing_by_itself()
    {
        var tree = Merged(L(File("f")), L(Marker("nowhere/.wh..wh..opq")));
        Assert.Equal(new[] { ".", "f" }, Paths(tree));
    }

    [Fact]
    public void Aufs_internals_are_ignored_with_everything_below_them()
    {
        var tree = Merged(L(
            Dir(".wh..wh.plnk"), File(".wh..wh.plnk/1234.5678"), File(".wh..wh.aufs"), Dir(".wh..wh.orph"),
            File("a/.wh..wh.plnk"), File("real")));
        Assert.Equal(new[] { ".", "real" }, Paths(tree)); // skipped names create no parent either
    }

    // ----- replacement, duplicates, parents -----------------------------------------------------------------

    [Fact]
    public void A_file_is_replaced_by_a_directory_and_back()
    {
        var tree = Merged(L(File("p")), L(Dir("p"), File("p/child")));
        Assert.Equal(LayerEntryKind.Directory, ByPath(tree)["p"].Kind);
        Assert.Equal(new[] { ".", "p", "p/child" }, Paths(tree));

        var back = Merged(L(File("p")), L(Dir("p"), File("p/child")), L(File("p", uid: 9)));
        Assert.Equal(new[] { ".", "p" }, Paths(back));
        Assert.Equal(LayerEntryKind.File, ByPath(back)["p"].Kind);
        Assert.Equal(9, ByPath(back)["p"].Uid);
    }

    [Fact]
    public void A_non_directory_replaces_a_directory_and_its_subtree()
    {
        var tree = Merged(L(Dir("d"), File("d/f")), L(Symlink("d", "/elsewhere")));
        Assert.Equal(new[] { ".", "d" }, Paths(tree));
        Assert.Equal("/elsewhere", ByPath(tree)["d"].LinkTarget);
    }

    [Fact]
    public void A_directory_over_a_directory_changes_only_metadata_and_keeps_the_children()
    {
        var tree = Merged(
            L(Dir("d", mode: Mode755, uid: 0), File("d/f")),
            L(Dir("d", mode: 0b111_000_000, uid: 1000, mtime: T2) with { Xattrs = Xattr("user.x", 1, 2) }));
        var d = ByPath(tree)["d"];
        Assert.Equal((0b111_000_000, 1000L, T2), (d.Mode, d.Uid, d.ModifiedTime));
        Assert.Equal(new byte[] { 1, 2 }, d.Xattrs.Find("user.x").IfNone(Array.Empty<byte>()));
        Assert.Equal(new[] { ".", "d", "d/f" }, Paths(tree));
    }

    [Fact]
    public void Duplicate_entries_in_one_layer_last_wins()
    {
        var tree = Merged(L(File("f", uid: 1), File("./f", uid: 2), Dir("d", uid: 1), Dir("d/", uid: 2), File("s"), Symlink("s", "t")));
        var byPath = ByPath(tree);
        Assert.Equal((2L, new DataRef(0, 1)), (byPath["f"].Uid, byPath["f"].DataRef));
        Assert.Equal(2, byPath["d"].Uid);
        Assert.Equal(LayerEntryKind.Symlink, byPath["s"].Kind);
    }

    [Fact]
    public void Missing_parents_are_created_with_defaults_and_a_later_directory_entry_sets_their_metadata()
    {
        var implicitOnly = ByPath(Merged(L(File("x/y/z", uid: 5) with { ModifiedTime = T2 })));
        foreach (var parent in new[] { "x", "x/y" })
            Assert.Equal((LayerEntryKind.Directory, Mode755, 0L, 0L, T2),
                (implicitOnly[parent].Kind, implicitOnly[parent].Mode, implicitOnly[parent].Uid, implicitOnly[parent].Gid, implicitOnly[parent].ModifiedTime));

        var sameLayer = Merged(L(File("x/y/z"), Dir("x/", mode: 0b111_000_000, uid: 33)));
        Assert.Equal((0b111_000_000, 33L), (ByPath(sameLayer)["x"].Mode, ByPath(sameLayer)["x"].Uid));
        Assert.Equal(new[] { ".", "x", "x/y", "x/y/z" }, Paths(sameLayer));

        var laterLayer = Merged(L(File("x/y/z")), L(Dir("x/y", uid: 44)));
        Assert.Equal(44, ByPath(laterLayer)["x/y"].Uid);
        Assert.Contains("x/y/z", Paths(laterLayer));
    }

    [Fact]
    public void Names_are_normalised_so_spellings_of_one_path_meet()
    {
        var tree = Merged(L(Dir("./usr/"), File("usr//bin/tool")), L(File("./usr/bin/tool", uid: 2)));
        Assert.Equal(new[] { ".", "usr", "usr/bin", "usr/bin/tool" }, Paths(tree));
        Assert.Equal(2, ByPath(tree)["usr/bin/tool"].Uid);
    }

    [Fact]
    public void Modes_keep_only_the_permission_bits()
    {
        var tree = Merged(L(File("f", mode: 0b1_000_000_110_100_100))); // 0100644
        Assert.Equal(Mode644, ByPath(tree)["f"].Mode);
    }

    [Fact]
    public void Devices_fifos_and_xattrs_are_carried_through()
    {
        var tree = ByPath(Merged(L(
            new LayerEntry { Name = "dev/null", Kind = LayerEntryKind.CharDevice, Mode = 0b110_110_110, DeviceMajor = 1, DeviceMinor = 3 },
            new LayerEntry { Name = "dev/sda", Kind = LayerEntryKind.BlockDevice, Mode = 0b110_110_000, DeviceMajor = 8, DeviceMinor = 0 },
            Fifo("run/fifo"),
            File("bin/ping") with { Xattrs = Xattr("security.capability", 1, 0, 0, 2, 0, 0x20, 0, 0) })));
        Assert.Equal((LayerEntryKind.CharDevice, 1L, 3L), (tree["dev/null"].Kind, tree["dev/null"].DeviceMajor, tree["dev/null"].DeviceMinor));
        Assert.Equal((LayerEntryKind.BlockDevice, 8L, 0L), (tree["dev/sda"].Kind, tree["dev/sda"].DeviceMajor, tree["dev/sda"].DeviceMinor));
        Assert.Equal(LayerEntryKind.Fifo, tree["run/fifo"].Kind);
        Assert.Equal(8, tree["bin/ping"].Xattrs.Find("security.capability").Map(v => v.Length).IfNone(0));
    }

    // ----- root ---------------------------------------------------------------------------------------------

    [Fact]
    public void The_root_defaults_to_a_root_owned_0755_directory_and_takes_metadata_from_a_dot_slash_entry()
    {
        var plain = Merged(L(File("f")));
        Assert.Equal((".", LayerEntryKind.Directory, Mode755, 0L, DateTimeOffset.UnixEpoch),
            (plain.Entries[0].Path, plain.Entries[0].Kind, plain.Entries[0].Mode, plain.Entries[0].Uid, plain.Entries[0].ModifiedTime));

        var explicitRoot = Merged(L(File("f")), L(Dir("./", mode: 0b111_000_000, uid: 1, mtime: T2)));
        Assert.Equal((0b111_000_000, 1L, T2), (explicitRoot.Entries[0].Mode, explicitRoot.Entries[0].Uid, explicitRoot.Entries[0].ModifiedTime));
        Assert.Contains("f", Paths(explicitRoot));
    }

    [Fact]
    public void A_root_entry_that_is_not_a_directory_is_refused()
    {
        var error = Refused(L(File("./")));
        Assert.Equal("layer 1: entry \"./\" refused: the root must be a directory, not a regular file", error.Message);
    }

    // ----- hard links ---------------------------------------------------------------------------------------

    [Fact]
    public void A_hard_link_to_a_lower_layer_file_shares_its_data()
    {
        var tree = Merged(L(File("bin/a", mode: Mode755, size: 100)), L(HardLink("bin/b", "./bin/a")));
        var b = ByPath(tree)["bin/b"];
        Assert.Equal((LayerEntryKind.HardLink, "bin/a", new DataRef(0, 0), Mode755, 100L), (b.Kind, b.LinkTarget, b.DataRef, b.Mode, b.Size));
        Assert.Equal(100, tree.RegularFileBytes);
        Assert.Equal("bin/b", tree.Entries.Last.Path);
    }

    [Fact]
    public void A_hard_link_keeps_the_old_data_when_its_target_is_later_replaced()
    {
        var tree = ByPath(Merged(L(File("a", size: 5)), L(HardLink("b", "a")), L(File("a", uid: 2, size: 7))));
        Assert.Equal((LayerEntryKind.File, new DataRef(0, 0), 5L), (tree["b"].Kind, tree["b"].DataRef, tree["b"].Size));
        Assert.Equal((LayerEntryKind.File, new DataRef(2, 0), 7L), (tree["a"].Kind, tree["a"].DataRef, tree["a"].Size));
    }

    [Fact]
    public void A_surviving_link_holds_the_data_when_its_target_is_whited_out()
    {
        var tree = Merged(L(File("z/target", size: 3)), L(HardLink("c", "z/target"), HardLink("b", "z/target")), L(Marker("z/.wh.target")));
        var byPath = ByPath(tree);
        Assert.Equal((LayerEntryKind.File, new DataRef(0, 0)), (byPath["b"].Kind, byPath["b"].DataRef));
        Assert.Equal((LayerEntryKind.HardLink, "b", new DataRef(0, 0)), (byPath["c"].Kind, byPath["c"].LinkTarget, byPath["c"].DataRef));
        Assert.Equal(new[] { ".", "b", "z", "c" }, Paths(tree));
        Assert.Equal(3, tree.RegularFileBytes);
    }

    [Fact]
    public void The_first_path_in_output_order_holds_the_data_of_a_linked_file()
    {
        var tree = Merged(L(File("m/file"), HardLink("a", "m/file"), HardLink("z", "a")));
        Assert.Equal(new[] { ".", "a", "m", "m/file", "z" }, Paths(tree)); // the links m/file and z come last
        var byPath = ByPath(tree);
        Assert.Equal(LayerEntryKind.File, byPath["a"].Kind);
        Assert.Equal(("a", "a"), (byPath["m/file"].LinkTarget, byPath["z"].LinkTarget));
    }

    [Fact]
    public void A_hard_link_to_itself_keeps_the_file()
    {
        var tree = ByPath(Merged(L(File("f", size: 4)), L(HardLink("f", "f"))));
        Assert.Equal((LayerEntryKind.File, new DataRef(0, 0)), (tree["f"].Kind, tree["f"].DataRef));
    }

    [Theory]
    [InlineData("missing", "hard link target \"missing\" does not exist")]
    [InlineData("later", "hard link target \"later\" does not exist")]
    [InlineData("dir", "hard link target \"dir\" is a directory, not a regular file")]
    [InlineData("sym", "hard link target \"sym\" is a symlink, not a regular file")]
    [InlineData("fifo", "hard link target \"fifo\" is a FIFO, not a regular file")]
    [InlineData("../etc/passwd", "hard link target: invalid entry name \"../etc/passwd\": a '..' component could escape the root")]
    [InlineData("/etc/passwd", "hard link target: invalid entry name \"/etc/passwd\": absolute names are refused")]
    [InlineData("", "hard link target: invalid entry name \"\": empty name")]
    [InlineData("sym/missing", "hard link target \"sym/missing\" does not exist")]
    public void Bad_hard_links_are_refused(string target, string reason)
    {
        var error = Refused(L(Dir("dir"), File("dir/f"), Symlink("sym", "dir"), Fifo("fifo")), L(HardLink("link", target), File("later")));
        Assert.Equal(ErrorCodes.LayerEntryRefused, error.Code);
        Assert.Equal($"layer 2: entry \"link\" refused: {reason}", error.Message);
    }

    // ----- symlinks and unsafe writes -----------------------------------------------------------------------

    [Fact]
    public void Symlink_targets_are_kept_verbatim()
    {
        var tree = ByPath(Merged(L(Symlink("lib64", "/lib/x86_64-linux-gnu"), Symlink("up", "../../../etc"), Symlink("long", new string('t', 300)))));
        Assert.Equal("/lib/x86_64-linux-gnu", tree["lib64"].LinkTarget);
        Assert.Equal("../../../etc", tree["up"].LinkTarget);
        Assert.Equal(300, tree["long"].LinkTarget.Length);
    }

    [Fact]
    public void A_hard_link_target_through_a_symlink_is_resolved_inside_the_root()
    {
        var tree = ByPath(Merged(L(File("real/f", size: 6), Symlink("sym", "../../real")), L(HardLink("link", "sym/f"))));
        Assert.Equal((LayerEntryKind.HardLink, "link", new DataRef(0, 0)), (tree["real/f"].Kind, tree["real/f"].LinkTarget, tree["real/f"].DataRef));
        Assert.Equal(LayerEntryKind.File, tree["link"].Kind); // "link" sorts first, so it holds the data
    }

    [Fact]
    public void A_symlink_to_an_absolute_directory_is_resolved_inside_the_image()
    {
        // The hostile-layer case of issue 4: etc -> /tmp, then etc/passwd lands in the image's tmp, never the host's.
        var tree = Merged(L(Symlink("etc", "/tmp")), L(File("etc/passwd", uid: 3)));
        Assert.Equal(new[] { ".", "etc", "tmp", "tmp/passwd" }, Paths(tree));
        var byPath = ByPath(tree);
        Assert.Equal((LayerEntryKind.Symlink, "/tmp"), (byPath["etc"].Kind, byPath["etc"].LinkTarget));
        Assert.Equal((LayerEntryKind.Directory, Mode755, 0L), (byPath["tmp"].Kind, byPath["tmp"].Mode, byPath["tmp"].Uid)); // created implicitly
        Assert.Equal((3L, new DataRef(1, 0)), (byPath["tmp/passwd"].Uid, byPath["tmp/passwd"].DataRef));
    }

    [Fact]
    public void Dot_dot_in_a_symlink_target_stops_at_the_root()
    {
        var tree = Merged(L(Symlink("a", "../../.."), Dir("a/b"), File("a/b/evil")), L(File("a/x")));
        Assert.Equal(new[] { ".", "a", "b", "b/evil", "x" }, Paths(tree));

        var absolute = Merged(L(Dir("d"), Symlink("d/up", "/../../etc/"), File("d/up/passwd")));
        Assert.Equal(new[] { ".", "d", "d/up", "etc", "etc/passwd" }, Paths(absolute));
    }

    [Fact]
    public void A_relative_symlink_target_is_relative_to_the_symlink_directory_and_chains_are_followed()
    {
        var tree = Merged(
            L(Dir("usr/lib"), Symlink("usr/lib64", "lib"), Symlink("lib64", "usr/lib64"), Symlink("hop", "./lib64/../lib64/.")),
            L(File("lib64/ld.so"), File("hop/libc.so")));
        Assert.Equal(new[] { ".", "hop", "lib64", "usr", "usr/lib", "usr/lib/ld.so", "usr/lib/libc.so", "usr/lib64" }, Paths(tree));
    }

    [Fact]
    public void A_dangling_symlink_parent_gets_its_target_directories_created_inside_the_root()
    {
        // Like containerd's fs.RootPath followed by MkdirAll: the missing directories appear at the resolved place.
        var tree = ByPath(Merged(L(Symlink("data", "/srv/data")), L(File("data/file") with { ModifiedTime = T2 })));
        Assert.Equal(new[] { ".", "data", "srv", "srv/data", "srv/data/file" }, tree.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((LayerEntryKind.Directory, Mode755, T2), (tree["srv/data"].Kind, tree["srv/data"].Mode, tree["srv/data"].ModifiedTime));
    }

    [Theory]
    [InlineData("a", "a")]
    [InlineData("a", "/a")]
    [InlineData("a", "b", "b", "a")]
    [InlineData("a", "./a/../a/x")]
    public void A_symlink_loop_is_refused_after_40_hops(params string[] links)
    {
        var layer = Enumerable.Range(0, links.Length / 2).Select(i => Symlink(links[2 * i], links[2 * i + 1])).ToArray();
        var error = Refused(layer, L(File("a/f")));
        Assert.Equal(ErrorCodes.LayerEntryRefused, error.Code);
        Assert.Equal($"layer 2: entry \"a/f\" refused: too many levels of symbolic links (more than {LayerMerge.MaxSymlinkHops}) resolving \"a\"", error.Message);
    }

    [Fact]
    public void A_chain_of_40_symlinks_resolves_and_41_is_refused()
    {
        LayerEntry[] Chain(int length) => Enumerable.Range(0, length).Select(i => Symlink($"s{i}", i == length - 1 ? "target" : $"s{i + 1}")).ToArray();
        Assert.Contains("target/f", Paths(Merged(Chain(40), L(File("s0/f")))));
        Assert.Contains("too many levels of symbolic links", Refused(Chain(41), L(File("s0/f"))).Message);
    }

    [Fact]
    public void The_last_component_of_an_entry_is_never_followed()
    {
        var lower = L(Dir("d"), File("d/keep"), Symlink("s", "d"), Symlink("loop", "loop"));
        var file = ByPath(Merged(lower, L(File("s", uid: 4), File("loop"))));
        Assert.Equal((LayerEntryKind.File, 4L), (file["s"].Kind, file["s"].Uid));
        Assert.Equal(new[] { ".", "d", "d/keep", "loop", "s" }, file.Keys.Order(StringComparer.Ordinal));

        var directory = Merged(lower, L(Dir("s"), File("s/new")));
        Assert.Equal(new[] { ".", "d", "d/keep", "loop", "s", "s/new" }, Paths(directory));
        Assert.Equal(LayerEntryKind.Directory, ByPath(directory)["s"].Kind);

        var symlink = ByPath(Merged(lower, L(Symlink("s", "/elsewhere"))));
        Assert.Equal("/elsewhere", symlink["s"].LinkTarget);
        Assert.Equal(LayerEntryKind.Directory, symlink["d"].Kind);
    }

    [Theory]
    [InlineData("x\0y")]
    [InlineData("/ok/.wh.x")]
    public void A_followed_symlink_target_naming_an_impossible_directory_is_refused(string target)
    {
        var error = Refused(L(Symlink("a", target)), L(File("a/f")));
        Assert.StartsWith("layer 2: entry \"a/f\" refused: symlink \"a\" points at ", error.Message);
        Assert.EndsWith("a name that cannot exist in an image", error.Message);
    }

    [Fact]
    public void Writing_below_a_file_is_refused()
    {
        var error = Refused(L(File("f")), L(File("f/g")));
        Assert.Equal("layer 2: entry \"f/g\" refused: parent \"f\" is a regular file, not a directory", error.Message);
    }

    [Fact]
    public void A_symlink_replaced_by_a_directory_first_can_then_hold_children()
    {
        var tree = Merged(L(Symlink("etc", "/tmp")), L(Dir("etc"), File("etc/passwd")));
        Assert.Equal(new[] { ".", "etc", "etc/passwd" }, Paths(tree));
    }

    [Theory]
    [InlineData("/etc/passwd", ErrorCodes.InvalidLayerPath, "layer 2: invalid entry name \"/etc/passwd\": absolute names are refused")]
    [InlineData("../../x", ErrorCodes.InvalidLayerPath, "layer 2: invalid entry name \"../../x\": a '..' component could escape the root")]
    [InlineData("a\0b", ErrorCodes.InvalidLayerPath, "layer 2: invalid entry name \"a\\u0000b\": contains a NUL character")]
    [InlineData("", ErrorCodes.InvalidLayerPath, "layer 2: invalid entry name \"\": empty name")]
    public void Unsafe_names_are_refused_with_the_layer_and_the_name(string name, int code, string message)
    {
        var error = Refused(L(File("ok")), L(File(name)));
        Assert.Equal((code, message), (error.Code, error.Message));
    }

    [Fact]
    public void A_component_over_255_bytes_is_refused()
    {
        var name = "usr/" + new string('n', 256);
        var error = Refused(L(File(name)));
        Assert.Equal($"layer 1: invalid entry name \"{name}\": a component is 256 bytes long (limit 255)", error.Message);
        Assert.Contains(new string('n', 255), Paths(Merged(L(File("usr/" + new string('n', 255))))).Select(PathRules.BaseName));
    }

    // ----- setuid policy, sizes, order ----------------------------------------------------------------------

    [Fact]
    public void The_default_policy_strips_setuid_and_setgid_but_keeps_sticky_and_records_the_paths()
    {
        var stack = Stack(L(
            Dir("tmp", mode: 0b1_111_111_111), Dir("var/mail", mode: 0b10_111_111_101), File("usr/bin/su", mode: 0b100_111_101_101),
            File("usr/bin/expiry", mode: 0b10_111_101_101), File("usr/bin/env", mode: Mode755), HardLink("usr/bin/su2", "usr/bin/su")));
        var tree = Succ(LayerMerge.Apply(stack, MergeOptions.Default));
        var byPath = ByPath(tree);
        Assert.Equal(
            new[] { 0b1_111_111_111, 0b111_111_101, Mode755, Mode755, Mode755, Mode755 },
            new[] { "tmp", "var/mail", "usr/bin/su", "usr/bin/expiry", "usr/bin/env", "usr/bin/su2" }.Select(p => byPath[p].Mode));
        Assert.Equal(3, tree.StrippedSetuidCount);
        Assert.Equal(new[] { "usr/bin/expiry", "usr/bin/su", "var/mail" }, tree.StrippedSetuidPaths.ToArray());

        var kept = Succ(LayerMerge.Apply(stack, MergeOptions.AllowSetuid));
        Assert.Equal(0b100_111_101_101, ByPath(kept)["usr/bin/su"].Mode);
        Assert.Equal((0, 0), (kept.StrippedSetuidCount, kept.StrippedSetuidPaths.Count));
    }

    [Fact]
    public void At_most_32_stripped_paths_are_listed_in_ordinal_order()
    {
        var files = Enumerable.Range(0, 40).Select(i => File($"bin/f{i:00}", mode: 0b100_111_101_101)).ToArray();
        var tree = Succ(LayerMerge.Apply(Stack(files), MergeOptions.Default));
        Assert.Equal(40, tree.StrippedSetuidCount);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => $"bin/f{i:00}"), tree.StrippedSetuidPaths);
    }

    [Fact]
    public void Sizes_and_counts_cover_the_final_tree()
    {
        var tree = Merged(L(File("a", size: 10), File("b", size: 20), Dir("d"), Symlink("s", "a")), L(HardLink("c", "a"), Marker(".wh.b")));
        Assert.Equal(10, tree.RegularFileBytes);
        Assert.Equal(5, tree.EntryCount); // ., a, d, s, c
    }

    [Fact]
    public void Entries_come_root_first_then_depth_first_by_name_then_hard_links()
    {
        var tree = Merged(L(File("z"), HardLink("a-link", "z"), File("b/c"), Dir("b"), File("a"), File("b/a/x"), HardLink("b/l", "b/c")));
        Assert.Equal(new[] { ".", "a", "a-link", "b", "b/a", "b/a/x", "b/c", "b/l", "z" }, Paths(tree));
        Assert.Equal("a-link", ByPath(tree)["z"].LinkTarget);
    }

    [Fact]
    public void An_empty_stack_gives_just_the_root()
    {
        Assert.Equal(new[] { "." }, Paths(Succ(LayerMerge.Apply(LanguageExt.Seq<LanguageExt.Seq<LayerEntry>>.Empty, MergeOptions.Default))));
        Assert.Equal(new[] { "." }, Paths(Merged(L(), L())));
    }
}
