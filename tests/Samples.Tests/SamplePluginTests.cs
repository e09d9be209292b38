using System.Text.Json.Nodes;

namespace ImageCache.Samples.Tests;

/// <summary>
/// The sample plugins as a user meets them (docs/plugins.md): published with dotnet, dropped into a --plugins-dir,
/// listed by <c>imagecache plugins</c>, and used by <c>imagecache pull</c> against a test HTTP server on 127.0.0.1.
/// </summary>
[Collection(SamplesCollection.Name)]
public sealed class SamplePluginTests(PublishedSamples samples) : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("imagecache-sample-pull-").FullName;
    readonly TarballServer server = new();

    string State => Path.Combine(root, "state");

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(root, recursive: true);
    }

    Task<ToolResult> Cli(params string[] arguments) =>
        Tool.CliAsync(["--state-dir", State, "--plugins-dir", PublishedSamples.FirstPartyPluginsDir, "--plugins-dir", samples.PluginsDir, .. arguments]);

    async Task<JsonNode> PullOk(params string[] arguments)
    {
        var result = await Cli(["--json", "pull", .. arguments]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.Stdout)!;
    }

    string ServeGzip(string name = "rootfs.tar.gz")
    {
        server.Serve(name, RootfsTarball.Gzip(RootfsTarball.Tar()));
        return server.Url(name);
    }

    static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    [Fact]
    public async Task Plugins_command_lists_both_samples_with_their_transports_and_builder()
    {
        var result = await Tool.CliAsync(["--state-dir", State, "--plugins-dir", samples.PluginsDir, "plugins"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith(PublishedSamples.HttpTarball, StringComparison.Ordinal) && l.Contains("loaded") && l.Contains("http:, https:"));
        Assert.Contains(lines, l => l.StartsWith(PublishedSamples.Erofs, StringComparison.Ordinal) && l.Contains("loaded") && l.Contains("builder erofs (erofs)"));
        // The contract is the host's: a plugin folder must not carry its own copy.
        Assert.False(File.Exists(Path.Combine(samples.PluginsDir, PublishedSamples.HttpTarball, "ImageCache.Contracts.dll")));
        Assert.True(File.Exists(Path.Combine(samples.PluginsDir, PublishedSamples.HttpTarball, "ZstdSharp.dll")), "the fetcher's private dependency is published beside it");
    }

    [Fact]
    public async Task Pull_of_an_http_tarball_builds_an_ext4_baseline_e2fsck_accepts()
    {
        Tool.Require("e2fsck", "e2fsprogs");
        var url = ServeGzip();
        var record = await PullOk(url);
        Assert.Equal("http", (string)record["source"]!);
        Assert.Equal("ext4", (string)record["builder"]!);
        var output = (string)record["output_path"]!;
        Assert.StartsWith(State, output, StringComparison.Ordinal);
        await Tool.RunOkAsync("e2fsck", "-fn", output);
        var listed = await Tool.RunOkAsync("debugfs", "-R", "cat /etc/hostname", output);
        Assert.Equal("sample\n", listed.Stdout);
    }

    [Fact]
    public async Task Plain_and_zstd_tarballs_pull_too_and_give_the_same_tree_as_gzip()
    {
        server.Serve("plain.tar", RootfsTarball.Tar());
        server.Serve("small.tar.zst", RootfsTarball.Zstd(RootfsTarball.Tar()));
        var plain = await PullOk(server.Url("plain.tar"));
        var zstd = await PullOk(server.Url("small.tar.zst"));
        var gzip = await PullOk(ServeGzip());
        var trees = new List<string[]>();
        foreach (var record in new[] { plain, zstd, gzip })
            trees.Add(await Ext4Tree((string)record["output_path"]!, Path.Combine(root, "tree-" + trees.Count)));
        Assert.Equal(trees[0], trees[1]);
        Assert.Equal(trees[0], trees[2]);
    }

    [Fact]
    public async Task A_download_that_breaks_half_way_is_resumed_with_a_range_request()
    {
        var url = ServeGzip();
        var size = RootfsTarball.Gzip(RootfsTarball.Tar()).Length;
        server.BreakNextFullReplyAfter = size / 2;
        await PullOk(url);
        Assert.Contains(server.Requests, r => r == $"GET /rootfs.tar.gz bytes={size / 2}-");
    }

    [Fact]
    public async Task A_pinned_digest_that_matches_is_accepted_and_a_wrong_one_refused_leaving_no_record()
    {
        var gzip = RootfsTarball.Gzip(RootfsTarball.Tar());
        server.Serve("rootfs.tar.gz", gzip);
        var wrong = await Cli("pull", server.Url("rootfs.tar.gz") + "#sha256=" + new string('0', 64));
        Assert.Equal(1, wrong.ExitCode);
        var error = Assert.Single(wrong.Stderr.Trim().Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("does not match its pinned #sha256", error, StringComparison.Ordinal);
        Assert.True(!File.Exists(Path.Combine(State, "images", "index.json")) || !File.ReadAllText(Path.Combine(State, "images", "index.json")).Contains("rootfs.tar.gz"));

        var record = await PullOk(server.Url("rootfs.tar.gz") + "#sha256=" + Sha256(gzip));
        Assert.EndsWith("#sha256=" + Sha256(gzip), (string)record["resolved_ref"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_download_over_its_size_cap_is_refused_naming_the_cap()
    {
        var result = await Cli("pull", ServeGzip() + "#max-bytes=100");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("more than the cap of 100", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_refused_with_the_http_status()
    {
        var result = await Cli("pull", server.Url("absent.tar.gz"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("404", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Erofs_builder_output_passes_fsck_erofs_and_holds_the_same_tree_as_the_ext4_builder()
    {
        Tool.Require("fsck.erofs", "erofs-utils");
        Tool.Require("debugfs", "e2fsprogs");
        var url = ServeGzip();
        var erofs = await PullOk("--builder", "erofs", url);
        var ext4 = await PullOk(url);
        Assert.Equal("erofs", (string)erofs["format"]!);
        var image = (string)erofs["output_path"]!;
        Assert.EndsWith(".erofs", image, StringComparison.Ordinal);
        await Tool.RunOkAsync("fsck.erofs", image);

        var extracted = Path.Combine(root, "erofs-tree");
        await Tool.RunOkAsync("fsck.erofs", "--extract=" + extracted, "--preserve", image);
        var erofsTree = await TreeListing.ReadAsync(extracted);
        var ext4Tree = await Ext4Tree((string)ext4["output_path"]!, Path.Combine(root, "ext4-tree"));
        // debugfs rdump skips device nodes and FIFOs: compare those with debugfs stat instead.
        Assert.Equal(ext4Tree, erofsTree.Where(l => l.Split('|')[1] is not ("c" or "p")).ToArray());
        Assert.Contains(erofsTree, l => l.StartsWith("dev/null|c|666|0:0|", StringComparison.Ordinal));
        Assert.Contains(erofsTree, l => l.StartsWith("dev/initctl|p|600|0:0|", StringComparison.Ordinal));
        Assert.Equal("1:3", (await Tool.RunOkAsync("stat", "-c", "%t:%T", Path.Combine(extracted, "dev", "null"))).Stdout.Trim());
        var ext4Null = (await Tool.RunOkAsync("debugfs", "-R", "stat /dev/null", (string)ext4["output_path"]!)).Stdout;
        Assert.Contains("Type: character special", ext4Null, StringComparison.Ordinal);
        Assert.Contains("Mode:  0666", ext4Null, StringComparison.Ordinal);
        Assert.Contains("Device major/minor number: 01:03", ext4Null, StringComparison.Ordinal);
        Assert.Contains("Type: FIFO", (await Tool.RunOkAsync("debugfs", "-R", "stat /dev/initctl", (string)ext4["output_path"]!)).Stdout, StringComparison.Ordinal);
        Assert.Contains(erofsTree, l => l.StartsWith("home/user/notes.txt|f|640|1000:1001|", StringComparison.Ordinal));
        Assert.Contains(erofsTree, l => l.StartsWith("bin/busybox|f|755|0:0|", StringComparison.Ordinal)); // setuid stripped

        // fsck.erofs --extract does not recreate hard links; the image itself has one inode with two links.
        var inode = await Tool.RunOkAsync("dump.erofs", "--path=/bin/ls", image);
        Assert.Contains("Links: 2", inode.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Format_option_picks_the_erofs_builder_through_the_planner()
    {
        var record = await PullOk("--format", "erofs", ServeGzip());
        Assert.Equal("erofs", (string)record["builder"]!);
    }

    [Fact]
    public async Task Erofs_builder_without_mkfs_erofs_on_PATH_is_refused_saying_what_is_missing()
    {
        var result = await Tool.CliAsync(
            ["--state-dir", State, "--plugins-dir", PublishedSamples.FirstPartyPluginsDir, "--plugins-dir", samples.PluginsDir, "pull", "--builder", "erofs", ServeGzip()],
            new Dictionary<string, string?> { ["PATH"] = Path.Combine(root, "empty-path") });
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: builder erofs needs mkfs.erofs on PATH; it was not found", result.Stderr.Trim().Split('\n')[^1]);
    }

    /// <summary>The ext4 image's tree: extracted with debugfs rdump, with the modes debugfs stat reports (rdump drops the sticky bit).</summary>
    static async Task<string[]> Ext4Tree(string image, string directory)
    {
        Directory.CreateDirectory(directory);
        await Tool.RunOkAsync("debugfs", "-R", $"rdump / {directory}", image);
        var listing = await TreeListing.ReadAsync(directory);
        var commands = Path.Combine(Path.GetDirectoryName(directory)!, Path.GetFileName(directory) + ".debugfs");
        File.WriteAllLines(commands, listing.Select(line => $"stat \"/{line.Split('|')[0]}\""));
        var stats = await Tool.RunOkAsync("debugfs", "-f", commands, image);
        var modes = System.Text.RegularExpressions.Regex.Matches(stats.Stdout, @"Mode:\s+0?([0-7]+)").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(listing.Length, modes.Length);
        return [.. listing.Select((line, i) =>
        {
            var fields = line.Split('|');
            if (fields[1] != "l") fields[2] = modes[i].TrimStart('0');
            return string.Join('|', fields);
        })];
    }
}
