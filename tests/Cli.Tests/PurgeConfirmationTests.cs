using System.Text.Json;

namespace ImageCache.Cli.Tests;

/// <summary>Origin-behaviour §5.4 and §7.2: <c>--purge</c> asks on a terminal, refuses without one unless <c>--yes</c>.</summary>
public sealed class PurgeConfirmationTests : IDisposable
{
    readonly CliSandbox sandbox = new CliSandbox().WithGoState();

    public void Dispose() => sandbox.Dispose();

    public static TheoryData<string[]> PurgeCommands => new()
    {
        new[] { "rm", "busybox", "--purge" },
        new[] { "delete", CliSandbox.BusyboxDigest, "--purge" },
        new[] { "prune", "--purge" },
    };

    [Theory]
    [MemberData(nameof(PurgeCommands))]
    public async Task Purge_without_yes_and_without_a_terminal_refuses_and_changes_nothing(string[] args)
    {
        var before = sandbox.Snapshot();

        var result = await InProcessCli.RunAsync(["--state-dir", sandbox.State, .. args]);

        var line = result.AssertOneErrorLine();
        Assert.Contains("pass --yes", line);
        Assert.True(File.Exists(sandbox.SharedBaseline));
        Assert.Equal(before, sandbox.Snapshot());
    }

    [Theory]
    [MemberData(nameof(PurgeCommands))]
    public async Task Purge_answered_no_on_a_terminal_is_cancelled_and_changes_nothing(string[] args)
    {
        var before = sandbox.Snapshot();

        var result = await InProcessCli.RunAsync(["--state-dir", sandbox.State, .. args], input: "n\n", inputIsTerminal: true);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[y/N]", result.Error);
        Assert.Contains("error: ", result.Error);
        Assert.Contains("cancelled", result.Error);
        Assert.True(File.Exists(sandbox.SharedBaseline));
        Assert.Equal(before, sandbox.Snapshot());
    }

    [Fact]
    public async Task Purge_answered_yes_on_a_terminal_deletes()
    {
        var result = await InProcessCli.RunAsync(["--state-dir", sandbox.State, "prune", "--purge"], input: "yes\n", inputIsTerminal: true);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Removed: 0\nDeleted: 2\nKept: 1\n", result.Out);
        Assert.False(File.Exists(sandbox.SharedBaseline));
    }

    [Fact]
    public async Task Rm_by_digest_with_purge_and_yes_deletes_the_shared_baseline_and_prints_the_counts()
    {
        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "rm", CliSandbox.BusyboxDigest, "--purge", "--yes");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Removed: 0\nDeleted: 2\nKept: 1\n", result.Out);
        Assert.False(File.Exists(sandbox.SharedBaseline));
        Assert.True(File.Exists(sandbox.WorkspaceRootfs));
    }

    [Fact]
    public async Task Rm_of_an_alias_with_purge_and_yes_keeps_the_baseline_its_source_uses()
    {
        var result = await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "rm", "local/busybox:tagged", "--purge", "-y");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Out);
        Assert.Equal(new[] { "local/busybox:tagged" }, CliSandbox.Refs(document.RootElement.GetProperty("removed")));
        Assert.Equal(0, document.RootElement.GetProperty("deleted").GetArrayLength());
        Assert.True(File.Exists(sandbox.SharedBaseline));
    }

    [Fact]
    public async Task Prune_with_purge_and_yes_deletes_store_baselines_and_keeps_the_workspace_disk()
    {
        var result = await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "prune", "--purge", "--yes");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Out);
        var root = document.RootElement;
        Assert.Equal(0, root.GetProperty("removed").GetArrayLength());
        Assert.Equal(new[] { "busybox", "local/busybox:tagged" }, CliSandbox.Refs(root.GetProperty("deleted")));
        Assert.Equal(new[] { "python:3.13-slim" }, CliSandbox.Refs(root.GetProperty("kept")));
        Assert.False(File.Exists(sandbox.SharedBaseline));
        Assert.True(File.Exists(sandbox.WorkspaceRootfs));
    }
}
