namespace ImageCache.Cli.Tests;

/// <summary>Origin-behaviour §7.3: <c>--help</c> on every command exits 0, shows that command's usage, and does nothing.</summary>
public sealed class HelpTests : IDisposable
{
    static readonly Dictionary<string, string> Descriptions = new()
    {
        ["list"] = "List recorded baselines",
        ["inspect"] = "Show everything recorded about a baseline",
        ["tag"] = "Give a recorded baseline another name",
        ["rm"] = "Remove records (and with --purge, their baseline files)",
        ["prune"] = "Drop records whose baseline is gone",
        ["verify"] = "Re-hash sealed baselines",
    };

    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    public static TheoryData<string, string> Commands => new()
    {
        { "list", "list" }, { "ls", "list" }, { "inspect", "inspect" }, { "tag", "tag" },
        { "rm", "rm" }, { "delete", "rm" }, { "prune", "prune" }, { "verify", "verify" },
    };

    static void AssertHelpOf(string canonical, CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        Assert.Contains("Usage:", result.Out);
        // In-process the program name is the test host's; the out-of-process tests check it reads "imagecache".
        Assert.Matches($@"Usage:\n  \S+ {canonical} ", result.Out);
        Assert.Contains(Descriptions[canonical], result.Out);
        foreach (var (other, description) in Descriptions.Where(d => d.Key != canonical))
            Assert.False(result.Out.Contains(description, StringComparison.Ordinal), $"help of {canonical} is not scoped: it shows {other}\n{result}");
        Assert.DoesNotContain("not found", result.Out + result.Error);
        Assert.DoesNotContain("--help\"", result.Out + result.Error);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_of_a_command_is_scoped_to_it_and_does_not_create_the_state_directory(string command, string canonical)
    {
        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, command, "--help");

        AssertHelpOf(canonical, result);
        Assert.False(Directory.Exists(sandbox.State), "help created the state directory");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_of_a_command_leaves_an_existing_state_untouched(string command, string canonical)
    {
        sandbox.WithGoState();
        var before = sandbox.Snapshot();
        var index = sandbox.IndexBytes();

        var result = await InProcessCli.RunAsync(command, "-h", "--state-dir", sandbox.State);

        AssertHelpOf(canonical, result);
        Assert.Equal(index, sandbox.IndexBytes());
        Assert.Equal(before, sandbox.Snapshot());
    }

    [Theory]
    [InlineData("rm", "busybox", "--purge", "--yes")]
    [InlineData("delete", CliSandbox.BusyboxDigest, "--purge", "--yes")]
    [InlineData("prune", "--purge", "--yes")]
    [InlineData("tag", "busybox", "local/busybox:new")]
    public async Task Help_among_other_arguments_still_only_shows_help(params string[] args)
    {
        sandbox.WithGoState();
        var before = sandbox.Snapshot();

        var result = await InProcessCli.RunAsync(["--state-dir", sandbox.State, .. args, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Out);
        Assert.Equal(before, sandbox.Snapshot());
        Assert.True(File.Exists(sandbox.SharedBaseline));
    }

    [Fact]
    public async Task A_bare_imagecache_prints_help_listing_every_command()
    {
        var result = await InProcessCli.RunAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        Assert.Contains("Usage:", result.Out);
        Assert.Contains("Commands:", result.Out);
        foreach (var description in Descriptions.Values) Assert.Contains(description, result.Out);
    }

    [Fact]
    public async Task Help_of_the_root_lists_every_command_and_the_global_options()
    {
        var result = await InProcessCli.RunAsync("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Commands:", result.Out);
        Assert.Contains("Options:", result.Out);
        Assert.Contains("--state-dir", result.Out);
        Assert.Contains("--json", result.Out);
        foreach (var description in Descriptions.Values) Assert.Contains(description, result.Out);
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_with_exit_2_and_changes_nothing()
    {
        sandbox.WithGoState();
        var before = sandbox.Snapshot();

        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "rm", "busybox", "--delete");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Out);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
        Assert.Contains("--delete", result.ErrorLines[0]);
        Assert.Contains("--purge", result.ErrorLines[0]); // the original test pins that the error names --purge
        Assert.Contains("imagecache rm --help", result.Error);
        Assert.Equal(before, sandbox.Snapshot());
    }

    [Fact]
    public async Task A_missing_argument_is_a_usage_error_with_exit_2()
    {
        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "tag", "busybox");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("error: ", result.ErrorLines[0]);
        Assert.False(Directory.Exists(sandbox.State));
    }
}
