using System.Text;
using ImageCache.Host;
using ImageCache.Host.Blobs;
using ImageCache.Host.Layers;
using Xunit;

namespace ImageCache.Sources.Tests;

/// <summary>
/// <c>rootfs:</c> end to end: a directory with everything a root filesystem holds, and tars of it (plain, gzip, zstd)
/// written by GNU tar, give one layer digest; umoci unpacks the stored image back to the same tree.
/// </summary>
public sealed class RootfsSourceTests : IDisposable
{
    static readonly byte[] BinaryXattr = [0x01, 0x00, 0x00, 0x02, 0xff, 0x0a, 0x80, 0x00, 0x3d];

    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>
    /// A tree with: nested directories (one 0750), files with foreign owners and sub-second mtimes, a binary xattr
    /// (bytes 0x00, 0xff, '\n', '='), a hard-linked pair, a symlink out of the tree and a dangling one, a FIFO,
    /// a character device, an empty file, and a socket (which a tar cannot hold, so it is left out everywhere).
    /// </summary>
    async Task<string> MakeTreeAsync()
    {
        Tools.RequireRoot("chown to foreign owners and mknod");
        var root = sandbox.Sub("tree");
        Directory.CreateDirectory(Path.Combine(root, "etc", "deep", "er"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "bin"));
        Directory.CreateDirectory(Path.Combine(root, "dev"));
        Directory.CreateDirectory(Path.Combine(root, "secret"));
        File.SetUnixFileMode(Path.Combine(root, "secret"), (UnixFileMode)0x1E8); // 0750
        File.WriteAllText(Path.Combine(root, "etc", "hostname"), "box\n");
        File.WriteAllText(Path.Combine(root, "etc", "deep", "er", "file"), new string('x', 70_000));
        File.WriteAllBytes(Path.Combine(root, "empty"), []);
        var tool = Path.Combine(root, "usr", "bin", "tool");
        File.WriteAllText(tool, "#!/bin/sh\n");
        File.SetUnixFileMode(tool, (UnixFileMode)0x1ED);
        await Tools.RunAsync("ln", tool, Path.Combine(root, "usr", "bin", "alias"));
        Native.SetXattr(tool, "user.binary", BinaryXattr);
        Assert.Equal(0, Native.Lchown(tool, 1234, 5678));
        Assert.Equal(0, Native.Lchown(Path.Combine(root, "secret"), 42, 43));
        File.CreateSymbolicLink(Path.Combine(root, "escape"), "/etc");
        File.CreateSymbolicLink(Path.Combine(root, "usr", "dangling"), "../../../nowhere");
        await Tools.RunAsync("mkfifo", "-m", "0600", Path.Combine(root, "dev", "fifo"));
        await Tools.RunAsync("mknod", "-m", "0666", Path.Combine(root, "dev", "null"), "c", "1", "3");
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(root, "dev", "socket")));
        await Tools.RunAsync("touch", "-d", "2024-02-03 04:05:06.123456789", Path.Combine(root, "etc", "hostname"));
        await Tools.RunAsync("touch", "-h", "-d", "2020-01-01 00:00:00", Path.Combine(root, "escape"));
        return root;
    }

    [Fact]
    public async Task A_directory_and_plain_gzip_and_zstd_tars_of_it_give_one_image_and_umoci_unpacks_the_same_tree()
    {
        var tree = await MakeTreeAsync();
        var tar = sandbox.Sub("tree.tar");
        await Tools.RunAsync("tar", "--format=posix", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", tree, "-cf", tar, ".");
        await Tools.RunAsync("sh", "-c", $"gzip -c '{tar}' > '{tar}.gz' && zstd -q -c '{tar}' > '{tar}.zst'");

        var fromDir = await sandbox.PullAsync($"rootfs:{tree}");
        var fromTar = await sandbox.PullAsync($"rootfs:{tar}");
        var fromGzip = await sandbox.PullAsync($"rootfs:{tar}.gz");
        var fromZstd = await sandbox.PullAsync($"rootfs:{tar}.zst");
        var again = await sandbox.PullAsync($"rootfs:{tree}");

        Assert.Single(fromDir.LayerDigests);
        foreach (var other in new[] { fromTar, fromGzip, fromZstd, again })
        {
            Assert.Equal(fromDir.LayerDigests, other.LayerDigests);
            Assert.Equal(fromDir.Digest, other.Digest);
            Assert.Equal(fromDir.ContentKey, other.ContentKey);
        }
        Assert.Equal("rootfs", fromDir.Source);
        Assert.Equal("linux/amd64", fromDir.Platform.ToString());

        var bundle = sandbox.Sub("bundle");
        await Tools.RunAsync("umoci", "unpack", "--image", $"{sandbox.OciDir}:{fromDir.Digest}", bundle);
        var expected = await Tree.SnapshotAsync(tree);
        expected.RemoveAll(l => l.StartsWith("/dev/socket ", StringComparison.Ordinal));
        var actual = await Tree.SnapshotAsync(Path.Combine(bundle, "rootfs"));
        // umoci gives the bundle's rootfs directory its own mode and owner; the rest must be exact.
        Assert.Equal(expected.Skip(1), actual.Skip(1));
    }

    [Fact]
    public async Task The_layer_is_a_canonical_tar_keeping_owners_devices_links_and_binary_xattrs_and_never_following_symlinks()
    {
        var tree = await MakeTreeAsync();
        var record = await sandbox.PullAsync($"rootfs:{tree}");

        var entries = new Dictionary<string, TarEntryHeader>(StringComparer.Ordinal);
        var order = new List<string>();
        await using (var layer = new OciBlobStore(sandbox.OciDir).OpenRead(record.LayerDigests[0]))
        await using (var reader = new TarReader(layer))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                entries[entry.Header.Name] = entry.Header;
                order.Add(entry.Header.Name);
            }
        }

        Assert.Equal("./", order[0]);
        Assert.Equal(order.Count, order.Distinct(StringComparer.Ordinal).Count());
        var alias = entries["usr/bin/alias"];
        Assert.Equal(TarEntryKind.RegularFile, alias.Kind); // "alias" sorts before "tool": it carries the data
        Assert.Equal(BinaryXattr, alias.Xattrs["user.binary"]);
        Assert.Equal((1234L, 5678L), (alias.Uid, alias.Gid));
        var tool = entries["usr/bin/tool"];
        Assert.Equal(TarEntryKind.HardLink, tool.Kind);
        Assert.Equal("usr/bin/alias", tool.LinkName);
        Assert.Equal((TarEntryKind.CharacterDevice, 1L, 3L), (entries["dev/null"].Kind, entries["dev/null"].DevMajor, entries["dev/null"].DevMinor));
        Assert.Equal(TarEntryKind.Fifo, entries["dev/fifo"].Kind);
        Assert.DoesNotContain("dev/socket", entries.Keys);
        Assert.Equal((TarEntryKind.SymbolicLink, "/etc"), (entries["escape"].Kind, entries["escape"].LinkName));
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("escape/", StringComparison.Ordinal));
        Assert.Equal("../../../nowhere", entries["usr/dangling"].LinkName);
        Assert.Equal((0x1E8, 42L, 43L), (entries["secret/"].Mode, entries["secret/"].Uid, entries["secret/"].Gid));
        Assert.Equal(new DateTimeOffset(2024, 2, 3, 4, 5, 6, TimeSpan.Zero).AddTicks(1_234_567), entries["etc/hostname"].ModifiedTime);
        Assert.Equal(record.LayerDigests[0], DiffIdOf(record));
    }

    [Fact]
    public async Task A_file_that_is_not_a_tar_and_a_missing_path_fail_with_one_line_messages_and_record_nothing()
    {
        var junk = sandbox.Sub("junk.tar");
        File.WriteAllText(junk, new string('j', 3000));
        var missing = sandbox.Sub("missing");

        var notTar = await Assert.ThrowsAsync<ImageCacheException>(() => sandbox.PullAsync($"rootfs:{junk}"));
        var noPath = await Assert.ThrowsAsync<ImageCacheException>(() => sandbox.PullAsync($"rootfs:{missing}"));

        Assert.Equal($"rootfs:{junk}: not a valid tar archive: the first 512 bytes are not a tar header (its checksum field is not an octal number)", notTar.Message);
        Assert.Equal($"rootfs:{missing}: no such file or directory", noPath.Message);
        Assert.DoesNotContain('\n', notTar.Message);
        Assert.Empty(await sandbox.Client().ListAsync());
    }

    string DiffIdOf(ImageCache.Core.ImageRecord record)
    {
        var store = new OciBlobStore(sandbox.OciDir);
        using var manifest = System.Text.Json.JsonDocument.Parse(store.OpenRead(record.Digest));
        var config = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        using var json = System.Text.Json.JsonDocument.Parse(store.OpenRead(config));
        Assert.Equal("layers", json.RootElement.GetProperty("rootfs").GetProperty("type").GetString());
        return json.RootElement.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString()!;
    }
}
