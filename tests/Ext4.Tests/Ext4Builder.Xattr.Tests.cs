using System.Text.RegularExpressions;
using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

/// <summary>One image with xattrs of every placement, built once; read back with e2fsck and debugfs ea_list / ea_get.</summary>
public sealed class XattrImage : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>VFS_CAP_REVISION_2, 20 bytes, with 0x00 and (in <see cref="CapabilityFf"/>) 0xff bytes.</summary>
    public static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x20, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static readonly byte[] CapabilityFf = [0x01, 0x00, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0x00, 0, 0, 0, 0, 0, 0xff, 0, 0];

    /// <summary>Three values of 700–1300 bytes: far over the inode's 96 bytes, together under one block.</summary>
    public static readonly Dictionary<string, byte[]> Large = new()
    {
        ["user.large.one"] = Patterned(700),
        ["user.large.two"] = Enumerable.Range(0, 1001).Select(i => (byte)(255 - i % 256)).ToArray(),
        ["trusted.big"] = Patterned(1300),
        ["security.capability"] = Capability,
    };

    /// <summary>POSIX ACL in its xattr form (version 2): user::rw-, user:1000:r--, group::r--, mask::r--, other::---.</summary>
    public static readonly byte[] Acl =
    [
        2, 0, 0, 0,
        0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
        0x02, 0, 4, 0, 0xe8, 0x03, 0, 0,
        0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
        0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
        0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ];

    public string Image { get; }

    public XattrImage()
    {
        Image = _dir.File("xattr.ext4");
        var list = new List<FilesystemEntry>
        {
            With(Dir(""), ("user.root", "root dir"u8.ToArray())),
            With(File("small", "data"u8.ToArray()), ("user.comment", "hello"u8.ToArray())),
            With(File("full", [5]), ("user.abcd", Patterned(68))), // exactly fills the in-inode area
            With(File("ping", [0x7f, 0x45, 0x4c, 0x46]), ("security.capability", Capability)),
            With(File("ping-ff", [1]), ("security.capability", CapabilityFf), ("user.empty", [])),
            File("large", Patterned(10_000)) with { Xattrs = Large },
            File("large-again", [2]) with { Xattrs = Large }, // the identical set shares the block
            HardLink("large-link", "large"),
            With(Dir("dir"), ("user.dirattr", Patterned(300))), // a directory with a block
            With(Dir("dir2"), ("trusted.overlay.opaque", "y"u8.ToArray())),
            With(Symlink("dir/fast", "/lib/x86_64-linux-gnu"), ("user.link", Patterned(200))), // fast symlink + xattr block
            With(Symlink("dir/fast-inline", "target"), ("security.selinux", "system_u:object_r:bin_t:s0\0"u8.ToArray())),
            With(Symlink("dir/slow", new string('s', 100)), ("user.slow", "x"u8.ToArray())),
            With(Fifo("fifo"), ("user.fifo", Patterned(150))),
            With(File("acl", [3]), ("system.posix_acl_access", Acl)),
            With(Dir("acl-dir"), ("system.posix_acl_default", Acl), ("system.posix_acl_access", Acl)),
        };
        BuildAsync(Image, list).GetAwaiter().GetResult();
    }

    public static FilesystemEntry With(FilesystemEntry entry, params (string Name, byte[] Value)[] xattrs) =>
        entry with { Xattrs = xattrs.ToDictionary(x => x.Name, x => x.Value) };

    public void Dispose() => _dir.Dispose();
}

public sealed class Ext4BuilderXattrTests(XattrImage xattrs) : IClassFixture<XattrImage>
{
    private byte[] EaGet(string path, string name, string? image = null)
    {
        using var dir = new TempDir();
        var output = dir.File("value");
        var result = E2fsTools.Debugfs(image ?? xattrs.Image, $"ea_get -f {output} \"{path}\" {name}");
        Assert.True(result.ExitCode == 0 && System.IO.File.Exists(output), $"ea_get {path} {name}: {result}");
        return System.IO.File.ReadAllBytes(output);
    }

    private string EaList(string path) => E2fsTools.DebugfsOk(xattrs.Image, $"ea_list \"{path}\"");

    private long FileAcl(string path)
    {
        var stat = E2fsTools.DebugfsOk(xattrs.Image, $"stat \"{path}\"");
        var match = Regex.Match(stat, @"File ACL:\s+(\d+)");
        Assert.True(match.Success, stat);
        return long.Parse(match.Groups[1].Value);
    }

    [Fact]
    public void E2fsck_reports_the_image_clean() => E2fsTools.AssertClean(xattrs.Image);

    [Fact]
    public void The_ext_attr_feature_is_set()
    {
        var header = E2fsTools.Run("dumpe2fs", "-h", xattrs.Image).Stdout;
        Assert.Matches(@"Filesystem features:.*\bext_attr\b", header);
    }

    [Fact]
    public void A_small_user_xattr_lives_in_the_inode()
    {
        Assert.Equal(0, FileAcl("/small"));
        Assert.Contains("user.comment", EaList("/small"));
        Assert.Equal("hello"u8.ToArray(), EaGet("/small", "user.comment"));
        Assert.Equal("data", E2fsTools.DebugfsOk(xattrs.Image, "cat /small"));
        Assert.Equal(0, FileAcl("/full"));
        Assert.Equal(Patterned(68), EaGet("/full", "user.abcd"));
    }

    [Fact]
    public void The_root_directory_keeps_its_xattr() => Assert.Equal("root dir"u8.ToArray(), EaGet("/", "user.root"));

    [Fact]
    public void A_binary_security_capability_reads_back_exactly()
    {
        Assert.Equal(0, FileAcl("/ping"));
        Assert.Equal(XattrImage.Capability, EaGet("/ping", "security.capability"));
        Assert.Equal(XattrImage.CapabilityFf, EaGet("/ping-ff", "security.capability"));
        Assert.Empty(EaGet("/ping-ff", "user.empty"));
    }

    [Fact]
    public void Large_values_go_to_one_shared_xattr_block_counted_in_i_blocks()
    {
        var block = FileAcl("/large");
        Assert.NotEqual(0, block);
        Assert.Equal(block, FileAcl("/large-again"));
        Assert.Equal(block, FileAcl("/large-link"));
        foreach (var path in new[] { "/large", "/large-again" })
            foreach (var (name, value) in XattrImage.Large)
                Assert.True(value.AsSpan().SequenceEqual(EaGet(path, name)), $"{path} {name}");
        var stat = E2fsTools.DebugfsOk(xattrs.Image, "stat /large-again");
        Assert.Matches(@"Blockcount:\s+16\b", stat); // one data block + the xattr block, in 512-byte sectors
        var listing = EaList("/large");
        foreach (var name in XattrImage.Large.Keys) Assert.Contains(name, listing);
    }

    [Fact]
    public void Directories_symlinks_and_fifos_keep_their_xattrs()
    {
        Assert.NotEqual(0, FileAcl("/dir"));
        Assert.Equal(Patterned(300), EaGet("/dir", "user.dirattr"));
        Assert.Equal("y"u8.ToArray(), EaGet("/dir2", "trusted.overlay.opaque"));
        Assert.NotEqual(0, FileAcl("/dir/fast"));
        Assert.Equal(Patterned(200), EaGet("/dir/fast", "user.link"));
        Assert.Contains("Fast link dest: \"/lib/x86_64-linux-gnu\"", E2fsTools.DebugfsOk(xattrs.Image, "stat /dir/fast"));
        Assert.Equal("system_u:object_r:bin_t:s0\0"u8.ToArray(), EaGet("/dir/fast-inline", "security.selinux"));
        Assert.Equal("x"u8.ToArray(), EaGet("/dir/slow", "user.slow"));
        Assert.Equal(new string('s', 100), E2fsTools.DebugfsOk(xattrs.Image, "cat /dir/slow"));
        Assert.Equal(Patterned(150), EaGet("/fifo", "user.fifo"));
    }

    [Fact]
    public void Posix_acls_are_stored_in_the_disk_form_and_read_back_in_the_xattr_form()
    {
        // The disk form has no id in the short entries (user::, group::, mask::, other::); e2fsprogs gives them id 0
        // when it converts back (the kernel gives ACL_UNDEFINED_ID). Everything else must be what went in.
        var readBack = (byte[])XattrImage.Acl.Clone();
        foreach (var at in new[] { 8, 24, 32, 40 }) readBack.AsSpan(at, 4).Clear();
        Assert.Equal(readBack, EaGet("/acl", "system.posix_acl_access"));
        Assert.Equal(readBack, EaGet("/acl-dir", "system.posix_acl_default"));
        Assert.Equal(readBack, EaGet("/acl-dir", "system.posix_acl_access"));
        using var dir = new TempDir();
        var raw = dir.File("raw");
        var result = E2fsTools.Debugfs(xattrs.Image, $"ea_get -r -f {raw} /acl system.posix_acl_access");
        Assert.True(result.ExitCode == 0, result.ToString());
        byte[] disk = [1, 0, 0, 0, 0x01, 0, 6, 0, 0x02, 0, 4, 0, 0xe8, 0x03, 0, 0, 0x04, 0, 4, 0, 0x10, 0, 4, 0, 0x20, 0, 0, 0];
        Assert.Equal(disk, System.IO.File.ReadAllBytes(raw));
    }

    [Fact]
    public async Task An_xattr_set_over_one_block_is_refused_with_a_clear_error()
    {
        using var dir = new TempDir();
        var entries = new List<FilesystemEntry>
        {
            Dir(""),
            XattrImage.With(File("huge", [1]), ("user.a", new byte[2500]), ("user.b", new byte[2500])),
        };
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.ext4"), entries));
        Assert.Contains("'huge'", error.Message);
        Assert.Contains("more than one 4096-byte xattr block holds", error.Message);
        Assert.False(System.IO.File.Exists(dir.File("x.ext4")));
    }

    [Theory]
    [InlineData("system.foo", "namespace")]
    [InlineData("os2.name", "namespace")]
    [InlineData("user.", "empty after its prefix")]
    public async Task Names_outside_the_known_namespaces_are_refused(string name, string message)
    {
        using var dir = new TempDir();
        var entries = new List<FilesystemEntry> { Dir(""), XattrImage.With(File("f", [1]), (name, [1])) };
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.ext4"), entries));
        Assert.Contains(name, error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task A_hard_link_with_other_xattrs_than_its_target_is_refused()
    {
        using var dir = new TempDir();
        var entries = new List<FilesystemEntry>
        {
            Dir(""),
            XattrImage.With(File("f", [1]), ("user.a", [1])),
            XattrImage.With(HardLink("g", "f"), ("user.a", [2])),
        };
        var error = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.ext4"), entries));
        Assert.Contains("differ", error.Message);
    }

    [Fact]
    public async Task Two_builds_with_xattrs_are_byte_identical_and_check_clean()
    {
        using var dir = new TempDir();
        var entries = new List<FilesystemEntry>
        {
            Dir(""),
            XattrImage.With(File("a", [1]), ("security.capability", XattrImage.Capability)),
            File("b", [2]) with { Xattrs = XattrImage.Large },
            XattrImage.With(Dir("c"), ("user.x", Patterned(500)), ("user.y", [0xff, 0])),
        };
        await BuildAsync(dir.File("a.ext4"), entries);
        await BuildAsync(dir.File("b.ext4"), entries);
        Assert.True(System.IO.File.ReadAllBytes(dir.File("a.ext4")).AsSpan().SequenceEqual(System.IO.File.ReadAllBytes(dir.File("b.ext4"))));
        E2fsTools.AssertClean(dir.File("a.ext4"));
        Assert.Equal(new byte[] { 0xff, 0 }, EaGet("/c", "user.y", dir.File("a.ext4")));
    }

    [Fact]
    public async Task More_than_1024_inodes_with_one_large_set_use_a_second_block_and_check_clean()
    {
        using var dir = new TempDir();
        var image = dir.File("many.ext4");
        var entries = new List<FilesystemEntry> { Dir("") };
        for (var i = 0; i < 1030; i++) entries.Add(File($"f{i:D4}", []) with { Xattrs = XattrImage.Large });
        await BuildAsync(image, entries);
        E2fsTools.AssertClean(image);
        var first = E2fsTools.DebugfsOk(image, "stat /f0000");
        var last = E2fsTools.DebugfsOk(image, "stat /f1029");
        string Acl(string stat) => Regex.Match(stat, @"File ACL:\s+(\d+)").Groups[1].Value;
        Assert.NotEqual(Acl(first), Acl(last));
        Assert.Equal(Acl(first), Acl(E2fsTools.DebugfsOk(image, "stat /f1023")));
    }
}
