using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ImageCache.Host.Layers;
using Xunit;
using Xunit.Abstractions;

namespace ImageCache.Host.Tests.Layers;

/// <summary>Archives written by the system's GNU tar (1.34 on the CI image), in GNU and POSIX (pax) format.</summary>
public sealed class TarReaderSystemTarTests(ITestOutputHelper output) : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("imagecache-tar-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    static readonly string LongDir = string.Join('/', Enumerable.Repeat("long-directory-name-ü", 7));
    static readonly DateTime Mtime = new(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc);

    string Tree()
    {
        string tree = Path.Combine(root, "tree");
        Directory.CreateDirectory(Path.Combine(tree, LongDir));
        string file = Path.Combine(tree, LongDir, "file.txt");
        File.WriteAllText(file, "long name data\n");
        File.SetLastWriteTimeUtc(file, Mtime.AddTicks(1234567));
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "../" + LongDir + "/file.txt");
        return tree;
    }

    async Task<byte[]> RunTarAsync(string tree, params string[] options)
    {
        string archive = Path.Combine(root, "out.tar");
        var start = new ProcessStartInfo("tar") { RedirectStandardError = true };
        foreach (var o in options) start.ArgumentList.Add(o);
        foreach (var a in new[] { "-cf", archive, "-C", tree, "." }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"tar {string.Join(' ', options)} failed: {stderr}");
        return await File.ReadAllBytesAsync(archive);
    }

    [Fact]
    public async Task Gnu_tar_gnu_format_long_name_and_long_link()
    {
        string tree = Tree();
        var archive = await RunTarAsync(tree, "--format=gnu");

        var entries = await Tar.ReadAllAsync(archive);

        string longName = "./" + LongDir + "/file.txt";
        Assert.True(Encoding.UTF8.GetByteCount(longName) > 100);
        var file = Assert.Single(entries, e => e.Header.Name == longName);
        Assert.Equal("long name data\n"u8.ToArray(), file.Data);
        Assert.Equal(new DateTimeOffset(Mtime), file.Header.ModifiedTime); // GNU format: whole seconds
        var link = Assert.Single(entries, e => e.Header.Name == "./link");
        Assert.Equal(TarEntryKind.SymbolicLink, link.Header.Kind);
        Assert.Equal("../" + LongDir + "/file.txt", link.Header.LinkName);
        Assert.Contains(entries, e => e.Header.Name == "./" + LongDir + "/" && e.Header.Kind == TarEntryKind.Directory);
    }

    [Fact]
    public async Task Gnu_tar_pax_format_with_xattrs_and_sub_second_mtime()
    {
        string tree = Tree();
        string file = Path.Combine(tree, LongDir, "file.txt");
        byte[] userValue = [0x00, 0xFF, 0x01, (byte)'\n', (byte)'=', 0x80, 0x00];
        byte[] capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

        byte[] archive;
        bool userSet = SetXattr(file, "user.imagecache", userValue, out int userErrno);
        bool capSet = userSet && SetXattr(file, "security.capability", capability, out _);
        if (userSet)
        {
            output.WriteLine($"user.* xattr set on the temp file; security.capability {(capSet ? "set too (privileged)" : "not settable here (needs CAP_SETFCAP), checked by the hand-built test")}");
            File.SetLastWriteTimeUtc(file, Mtime.AddTicks(1234567)); // setxattr does not touch mtime, but be sure
            archive = await RunTarAsync(tree, "--format=posix", "--xattrs", "--xattrs-include=*");
        }
        else
        {
            // This filesystem refuses user.* xattrs: build what GNU tar would have written by hand instead.
            output.WriteLine($"setxattr failed (errno {userErrno}); using a hand-built pax archive instead of GNU tar --xattrs");
            archive = new RawTar()
                .Pax('x', RawTar.PaxRecord("mtime", "1700000000.1234567"), RawTar.PaxRecord("path", "./" + LongDir + "/file.txt"),
                    RawTar.PaxRecord("SCHILY.xattr.user.imagecache", userValue))
                .Entry("f", data: "long name data\n"u8.ToArray())
                .End().ToArray();
        }

        var entries = await Tar.ReadAllAsync(archive);

        var entry = Assert.Single(entries, e => e.Header.Name == "./" + LongDir + "/file.txt");
        Assert.Equal(userValue, entry.Header.Xattrs["user.imagecache"]);
        if (capSet)
            Assert.Equal(capability, entry.Header.Xattrs["security.capability"]);
        Assert.Equal(new DateTimeOffset(Mtime.AddTicks(1234567)), entry.Header.ModifiedTime);
        Assert.Equal("long name data\n"u8.ToArray(), entry.Data);
    }

    static bool SetXattr(string path, string name, byte[] value, out int errno)
    {
        int rc = setxattr(path, name, value, (nuint)value.Length, 0);
        errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        return rc == 0;
    }

    // DllImport rather than LibraryImport: the latter needs AllowUnsafeBlocks in the test project.
    [DllImport("libc", SetLastError = true)]
    static extern int setxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nuint size, int flags);
}
