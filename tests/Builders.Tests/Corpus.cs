using System.Text;

namespace ImageCache.Builders.Tests;

/// <summary>The generated images of the cross-builder corpus.</summary>
internal static class Corpus
{
    public const int Dir = 0b111_101_101;
    public const int Exec = 0b111_101_101;

    /// <summary>security.capability v2 (cap_net_raw+ep): binary, with 0x00, 0xff-free bytes and a newline-sized value.</summary>
    public static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    public static readonly string LongName255 = new('n', 255);
    public static readonly string UnicodeName = "ünïcödé-名前-🙂";
    public static readonly string SystemdName = "dev-disk-by\\x2duuid-1234.swap";
    public static readonly string LongTarget = "../" + string.Concat(Enumerable.Repeat("long-target-component/", 8)) + "end";

    /// <summary>
    /// Three layers covering whiteouts, opaque markers before and after their siblings, file↔directory replacement,
    /// a whiteout and a new file at the same path in one layer, hard links (also across layers), short, long and
    /// absolute symlinks, devices, a FIFO, binary and user xattrs, uids 0/1000/65534/4294967294, setuid/setgid/sticky,
    /// a 0555 directory with children, unicode, 255-byte and systemd-escaped names, and an empty file.
    /// </summary>
    public static byte[][] KitchenSink()
    {
        var capability = new Dictionary<string, byte[]> { ["security.capability"] = Capability, ["user.comment"] = Encoding.UTF8.GetBytes("ping me") };
        var one = new LayerTar()
            .Dir("./")
            .Dir("bin/").File("bin/sh", "shell v1\n", Exec).File("bin/su", "su\n", 0b100_111_101_101).File("bin/sg", "sg\n", 0b010_111_101_101)
            .Dir("tmp/", 0b001_111_111_111)
            .Dir("lib/").Dir("lib/x86_64-linux-gnu/").File("lib/x86_64-linux-gnu/ld.so", "loader\n", Exec)
            .Symlink("lib64", "/lib/x86_64-linux-gnu")
            .Dir("lib/readonly/", 0b101_101_101).File("lib/readonly/inside", "in a 0555 directory\n")
            .Dir("etc/").File("etc/hostname", "base\n").File("etc/old", "whited out\n")
            .Dir("etc/dir-to-file/").File("etc/dir-to-file/child", "goes away\n").File("etc/file-to-dir", "becomes a directory\n")
            .Dir("etc/systemd/").Dir("etc/systemd/system/").File("etc/systemd/system/" + SystemdName, "[Swap]\n")
            .Dir("opq-before/").File("opq-before/a", "a\n").File("opq-before/b", "b\n")
            .Dir("opq-after/").File("opq-after/c", "c\n").File("opq-after/d", "d\n")
            .Dir("usr/").Dir("usr/bin/").File("usr/bin/ping", "ping\n", Exec, xattrs: capability)
            .Dir("dev/").CharDevice("dev/null", 1, 3).BlockDevice("dev/sda", 8, 0)
            .Dir("run/").Fifo("run/initctl")
            .Dir("home/").Dir("home/user/", 0b111_101_000, 1000, 1000).File("home/user/notes", "mine\n", uid: 1000, gid: 1000)
            .File("home/nobody", "nobody\n", uid: 65534, gid: 65534).File("home/max-id", "max\n", uid: 4294967294, gid: 4294967294)
            .Dir("data/", xattrs: new Dictionary<string, byte[]> { ["user.dir"] = Encoding.UTF8.GetBytes("on a directory") })
            .File("data/empty").File("data/hard-a", "shared bytes\n").HardLink("data/hard-b", "data/hard-a")
            .File("data/" + UnicodeName, "unicode\n").File("data/" + LongName255, "255 bytes of name\n")
            .Symlink("data/short", "hard-a").Symlink("data/long", LongTarget)
            .Finish();
        var two = new LayerTar()
            .File("etc/.wh.old")
            .File("opq-before/.wh..wh..opq").File("opq-before/new", "after an opaque marker that came first\n")
            .File("opq-after/new2", "before an opaque marker that comes after\n").File("opq-after/.wh..wh..opq")
            .File("etc/dir-to-file", "a file now\n")
            .Dir("etc/file-to-dir/").File("etc/file-to-dir/inner", "inside\n")
            .File("etc/.wh.hostname").File("etc/hostname", "layer two\n")
            .HardLink("data/hard-c", "data/hard-a")
            .Finish();
        var three = new LayerTar()
            .File("bin/sh", "shell v3\n", Exec)
            .Symlink("bin/bash", "/bin/sh")
            .Finish();
        return [one, two, three];
    }

    /// <summary>A path 100 directories deep with a file at the bottom.</summary>
    public static byte[][] DeepPath()
    {
        var tar = new LayerTar().Dir("./");
        var path = "";
        for (var i = 0; i < 100; i++)
        {
            path += $"d{i}/";
            tar.Dir(path);
        }

        tar.File(path + "bottom", "100 levels down\n");
        return [tar.Finish()];
    }
}
