using System.Diagnostics;
using System.Runtime.CompilerServices;
using ImageCache.Builders.Squashfs;
using static ImageCache.Squashfs.Tests.Entries;

namespace ImageCache.Squashfs.Tests;

/// <summary>Options, reproducibility, failures and cancellation of the squashfs builder.</summary>
public sealed class SquashfsBuilderTests
{
    private static IReadOnlyList<FilesystemEntry> Small() =>
    [
        Dir(""),
        Dir("etc"),
        File("etc/a", Patterned(300_000), time: Time.AddDays(-3)),
        File("etc/b", "b"u8.ToArray(), uid: 1000, gid: 1000),
        Symlink("etc/c", "a"),
        Dir("tmp", mode: 0x3FF),
    ];

    [Fact]
    public async Task Two_builds_are_byte_identical_whatever_the_number_of_jobs()
    {
        using var dir = new TempDir();
        var entries = (IReadOnlyList<FilesystemEntry>)[.. Small(), File("big", FullImage.BigData)];
        await BuildAsync(dir.File("one.sqfs"), entries, new() { ["jobs"] = "1" });
        await Task.Delay(1100); // a clock-dependent field would differ now
        await BuildAsync(dir.File("two.sqfs"), entries, new() { ["jobs"] = "4" });
        Assert.Equal(System.IO.File.ReadAllBytes(dir.File("one.sqfs")), System.IO.File.ReadAllBytes(dir.File("two.sqfs")));
        // The superblock's creation time is not the clock's: tar2sqfs takes it from the --defaults mtime (the root's).
        Assert.Equal(Time.ToUnixTimeSeconds().ToString(), SquashfsTools.RunOk("unsquashfs", "-mkfs-time", dir.File("one.sqfs")).Trim());
    }

    [Fact]
    public async Task Gzip_and_block_size_are_selectable()
    {
        using var dir = new TempDir();
        var image = dir.File("gzip.sqfs");
        await BuildAsync(image, Small(), new() { ["compressor"] = "gzip", ["block-size"] = "65536" });
        var stat = SquashfsTools.RunOk("unsquashfs", "-s", image);
        Assert.Contains("Compression gzip", stat, StringComparison.Ordinal);
        Assert.Contains("Block size 65536", stat, StringComparison.Ordinal);
        var extracted = Path.Combine(dir.Path, "root");
        SquashfsTools.RunOk("unsquashfs", "-n", "-d", extracted, image);
        Assert.Equal(Patterned(300_000), System.IO.File.ReadAllBytes(Path.Combine(extracted, "etc/a")));
    }

    [Fact]
    public void Command_line_carries_the_flags_and_the_root_time()
    {
        var arguments = SquashfsBuilder.Arguments(SquashfsOptions.Parse(new Dictionary<string, string>()), "/out/x.sqfs", Time);
        Assert.Equal(
            ["--quiet", "--no-skip", "--compressor", "zstd", "--block-size", "131072", "--num-jobs", arguments[7],
             "--defaults", $"uid=0,gid=0,mode=0755,mtime={Time.ToUnixTimeSeconds()}", "/out/x.sqfs"],
            arguments);
    }

    [Theory]
    [InlineData("compressor", "lzma")]
    [InlineData("block-size", "5000")]
    [InlineData("jobs", "0")]
    [InlineData("frobnicate", "1")]
    public async Task Bad_options_are_refused_before_anything_runs(string key, string value)
    {
        using var dir = new TempDir();
        var ex = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(dir.File("x.sqfs"), Small(), new() { [key] = value }));
        Assert.StartsWith("squashfs: ", ex.Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(dir.File("x.sqfs")));
    }

    [Fact]
    public async Task A_tar2sqfs_failure_reports_its_last_stderr_line()
    {
        using var dir = new TempDir();
        var output = dir.File("exists.sqfs");
        await System.IO.File.WriteAllTextAsync(output, "already here"); // tar2sqfs refuses without --force
        var ex = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(output, Small()));
        Assert.Matches(@"^squashfs: tar2sqfs failed \(exit \d+\): .*\S", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(ChildTools());
    }

    [Fact]
    public async Task A_missing_tool_is_a_clear_build_error()
    {
        using var dir = new TempDir();
        var builder = new SquashfsBuilder { Tool = "/nonexistent/tar2sqfs" };
        var ex = await Assert.ThrowsAsync<FilesystemBuildException>(() =>
            builder.BuildAsync(Request(dir.File("x.sqfs"), Small()), ToAsync(Small()), CancellationToken.None));
        Assert.Contains("could not be started", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_entry_stops_tar2sqfs_and_removes_the_output()
    {
        using var dir = new TempDir();
        var output = dir.File("bad.sqfs");
        var liar = new FilesystemEntry("liar", FilesystemEntryKind.RegularFile, 0x1A4, 0, 0, Time, NoXattrs, null, 0, 0, 100,
            _ => ValueTask.FromResult<Stream>(new MemoryStream(new byte[10])));
        var ex = await Assert.ThrowsAsync<FilesystemBuildException>(() => BuildAsync(output, [.. Small(), liar]));
        Assert.Contains("'/liar'", ex.Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(output));
        Assert.Empty(ChildTools());
    }

    [Fact]
    public async Task Cancellation_kills_tar2sqfs_and_removes_the_output()
    {
        using var dir = new TempDir();
        var output = dir.File("cancelled.sqfs");
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var build = new SquashfsBuilder().BuildAsync(Request(output, Small()), Endless(started, cts.Token), cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEmpty(ChildTools());
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);
        Assert.Empty(ChildTools());
        Assert.False(System.IO.File.Exists(output));
    }

    private static async IAsyncEnumerable<FilesystemEntry> Endless(TaskCompletionSource started, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return Dir("");
        yield return Dir("d");
        for (var i = 0; ; i++)
        {
            yield return File($"d/f{i}", "x"u8.ToArray());
            if (i == 100) started.TrySetResult();
            if (i >= 100) await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>tar2sqfs processes whose parent is this test process.</summary>
    private static List<int> ChildTools()
    {
        var self = Environment.ProcessId.ToString();
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = System.IO.File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (comm == "tar2sqfs" && fields[1] == self && fields[0] != "Z") found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        return found;
    }
}
