namespace ImageCache.Cli.Tests;

/// <summary>DESIGN §8: a failure is one <c>error: …</c> line on stderr and exit 1, and leaves the index as it was.</summary>
public sealed class ErrorTests : IDisposable
{
    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    async Task<string> FailsWithoutChange(params string[] args)
    {
        var index = File.Exists(sandbox.IndexFile) ? sandbox.IndexBytes() : null;
        var files = File.Exists(sandbox.SharedBaseline);

        var result = await InProcessCli.RunAsync(["--state-dir", sandbox.State, .. args]);

        var line = result.AssertOneErrorLine();
        if (index is not null) Assert.Equal(index, sandbox.IndexBytes());
        Assert.Equal(files, File.Exists(sandbox.SharedBaseline));
        return line;
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("rm")]
    [InlineData("verify")]
    public async Task An_unknown_reference_is_image_not_found(string command)
    {
        sandbox.WithGoState();

        var line = await FailsWithoutChange(command, "x");

        Assert.Equal("error: image \"x\" not found", line);
    }

    [Fact]
    public async Task Tagging_an_unknown_source_is_image_not_found()
    {
        sandbox.WithGoState();

        Assert.Equal("error: image \"x\" not found", await FailsWithoutChange("tag", "x", "local/x:1"));
    }

    [Theory]
    [InlineData("inspect", "Not A Reference")]
    [InlineData("rm", "UPPER/case")]
    [InlineData("rm", "busybox@sha256:123")]
    public async Task A_malformed_reference_says_why(string command, string reference)
    {
        sandbox.WithGoState();

        var line = await FailsWithoutChange(command, reference);

        Assert.StartsWith("error: invalid", line);
    }

    [Fact]
    public async Task A_malformed_tag_target_is_refused()
    {
        sandbox.WithGoState();

        var line = await FailsWithoutChange("tag", "busybox", "Bad Name");

        Assert.StartsWith("error: invalid reference", line);
    }

    [Fact]
    public async Task An_ambiguous_digest_prefix_lists_the_candidates()
    {
        const string prefix = "0123456789ab";
        CliSandbox.WriteFile(sandbox.IndexFile, $$"""
            {"images": [
              {"image_ref": "one", "digest": "sha256:{{prefix}}{{new string('1', 52)}}", "platform": {"os": "linux", "architecture": "amd64"}, "last_used_at": "2026-01-01T00:00:00Z"},
              {"image_ref": "two", "digest": "sha256:{{prefix}}{{new string('2', 52)}}", "platform": {"os": "linux", "architecture": "amd64"}, "last_used_at": "2026-01-01T00:00:00Z"}
            ]}
            """);

        var line = await FailsWithoutChange("rm", prefix);

        Assert.Contains("ambiguous", line);
        Assert.Contains("one (sha256:" + prefix, line);
        Assert.Contains("two (sha256:" + prefix, line);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("inspect", "busybox")]
    [InlineData("tag", "busybox", "local/busybox:x")]
    [InlineData("rm", "busybox")]
    [InlineData("prune")]
    [InlineData("verify")]
    public async Task A_corrupt_index_names_the_file(params string[] args)
    {
        sandbox.WithGoState();
        File.WriteAllText(sandbox.IndexFile, "{\"images\": [ {\"image_ref\": ");

        var line = await FailsWithoutChange(args);

        Assert.Contains(sandbox.IndexFile, line);
        Assert.Contains("corrupt", line);
    }

    [Theory]
    [InlineData("tag", "busybox", "local/busybox:x")]
    [InlineData("rm", "busybox")]
    [InlineData("prune")]
    public async Task A_state_directory_below_a_regular_file_is_a_one_line_error(params string[] args)
    {
        // Mode bits do not stop root; a path below a regular file cannot be created by anyone.
        var blocker = Path.Combine(sandbox.Root, "file");
        File.WriteAllText(blocker, "in the way");

        var result = await InProcessCli.RunAsync(["--state-dir", Path.Combine(blocker, "state"), .. args]);

        var line = result.AssertOneErrorLine();
        Assert.Contains(Path.Combine(blocker, "state"), line);
        Assert.Equal("in the way", File.ReadAllText(blocker));
    }

    [Fact]
    public async Task A_bad_retention_duration_is_a_one_line_error()
    {
        sandbox.WithGoState();

        var line = await FailsWithoutChange("prune", "--unused-for", "fortnight");

        Assert.StartsWith("error: ", line);
    }
}
