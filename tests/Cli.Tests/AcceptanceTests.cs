using System.Text.Json;

namespace ImageCache.Cli.Tests;

/// <summary>Tests that start real processes; they run alone so their timing is not squeezed by the in-process tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "real CLI processes";
}

/// <summary>The built <c>imagecache</c>, run as a process against a state directory the Go original left behind.</summary>
[Collection(ProcessCollection.Name)]
public sealed class AcceptanceTests : IDisposable
{
    readonly CliSandbox sandbox = new CliSandbox().WithGoState();

    public void Dispose() => sandbox.Dispose();

    async Task<JsonElement> Json(params string[] args)
    {
        var result = await CliProcess.RunAsync(["--state-dir", sandbox.State, "--json", .. args]);
        Assert.True(result.ExitCode == 0, $"imagecache {string.Join(' ', args)}\n{result}");
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.Clone();
    }

    /// <summary>The outcome of rm or prune as one comparable line.</summary>
    static string Outcome(JsonElement root) =>
        $"removed [{string.Join(", ", CliSandbox.Refs(root.GetProperty("removed")))}] " +
        $"deleted [{string.Join(", ", CliSandbox.Refs(root.GetProperty("deleted")))}] " +
        $"kept [{string.Join(", ", CliSandbox.Refs(root.GetProperty("kept")))}]";

    static string Expected(string[] removed, string[] deleted, string[] kept) =>
        $"removed [{string.Join(", ", removed)}] deleted [{string.Join(", ", deleted)}] kept [{string.Join(", ", kept)}]";

    [Fact]
    public async Task The_built_cli_lists_every_record_of_an_index_the_original_wrote()
    {
        var root = await Json("list");

        var images = root.GetProperty("images");
        Assert.Equal(new[] { "busybox", "local/busybox:tagged", "python:3.13-slim" }, CliSandbox.Refs(images));
        Assert.Equal(
            new[] { sandbox.SharedBaseline, sandbox.SharedBaseline, sandbox.WorkspaceRootfs },
            images.EnumerateArray().OrderBy(r => r.GetProperty("image_ref").GetString(), StringComparer.Ordinal).Select(r => r.GetProperty("output_path").GetString()).ToArray());
    }

    [Fact]
    public async Task Tag_rm_and_prune_remove_and_delete_exactly_what_the_original_would()
    {
        var tagged = await Json("tag", CliSandbox.BusyboxDigest, "local/busybox:stable");
        Assert.Equal(sandbox.SharedBaseline, tagged.GetProperty("output_path").GetString());
        Assert.Equal(4, (await Json("list")).GetProperty("images").GetArrayLength());

        // rm without --purge: the record goes, the file stays.
        Assert.Equal(Expected(new[] { "local/busybox:stable" }, Array.Empty<string>(), new[] { "busybox", "local/busybox:tagged", "python:3.13-slim" }), Outcome(await Json("rm", "local/busybox:stable")));
        Assert.True(File.Exists(sandbox.SharedBaseline));

        // rm --purge of an alias: busybox still uses the file, so it is only removed.
        Assert.Equal(Expected(new[] { "local/busybox:tagged" }, Array.Empty<string>(), new[] { "busybox", "python:3.13-slim" }), Outcome(await Json("rm", "local/busybox:tagged", "--purge", "--yes")));
        Assert.True(File.Exists(sandbox.SharedBaseline));

        // prune with every file present changes nothing.
        Assert.Equal(Expected(Array.Empty<string>(), Array.Empty<string>(), new[] { "busybox", "python:3.13-slim" }), Outcome(await Json("prune")));

        // The workspace disk deleted by hand: prune drops its record.
        File.Delete(sandbox.WorkspaceRootfs);
        Assert.Equal(Expected(new[] { "python:3.13-slim" }, Array.Empty<string>(), new[] { "busybox" }), Outcome(await Json("prune")));
        Assert.True(File.Exists(sandbox.SharedBaseline));

        // prune --purge empties the store.
        Assert.Equal(Expected(Array.Empty<string>(), new[] { "busybox" }, Array.Empty<string>()), Outcome(await Json("prune", "--purge", "--yes")));
        Assert.False(File.Exists(sandbox.SharedBaseline));
        Assert.Equal(0, (await Json("list")).GetProperty("images").GetArrayLength());
    }

    [Fact]
    public async Task Rm_by_digest_with_purge_deletes_the_shared_baseline_and_leaves_the_workspace_disk()
    {
        Assert.Equal(Expected(Array.Empty<string>(), new[] { "busybox", "local/busybox:tagged" }, new[] { "python:3.13-slim" }), Outcome(await Json("rm", CliSandbox.BusyboxDigest, "--purge", "--yes")));

        Assert.False(File.Exists(sandbox.SharedBaseline));
        Assert.True(File.Exists(sandbox.WorkspaceRootfs));
    }

    [Fact]
    public async Task Prune_with_purge_deletes_store_baselines_but_never_the_workspace_disk()
    {
        Assert.Equal(Expected(Array.Empty<string>(), new[] { "busybox", "local/busybox:tagged" }, new[] { "python:3.13-slim" }), Outcome(await Json("prune", "--purge", "--yes")));

        Assert.False(File.Exists(sandbox.SharedBaseline));
        Assert.True(File.Exists(sandbox.WorkspaceRootfs));
    }

    [Fact]
    public async Task The_built_cli_refuses_purge_without_yes_when_stdin_is_not_a_terminal()
    {
        var before = sandbox.IndexBytes();

        var result = await CliProcess.RunAsync("--state-dir", sandbox.State, "prune", "--purge");

        Assert.Contains("pass --yes", result.AssertOneErrorLine());
        Assert.True(File.Exists(sandbox.SharedBaseline));
        Assert.Equal(before, sandbox.IndexBytes());
    }

    [Fact]
    public async Task The_built_cli_names_itself_imagecache_in_help_and_reports_errors_on_one_line()
    {
        var help = await CliProcess.RunAsync("rm", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:\n  imagecache rm <REF>", help.Out);

        var bare = await CliProcess.RunAsync();
        Assert.True(bare.ExitCode == 0, bare.ToString());
        Assert.Contains("Usage:\n  imagecache [command] [options]", bare.Out);

        var missing = await CliProcess.RunAsync("--state-dir", sandbox.State, "inspect", "x");
        Assert.Equal("error: image \"x\" not found", missing.AssertOneErrorLine());

        var usage = await CliProcess.RunAsync("--state-dir", sandbox.State, "rm", "busybox", "--delete");
        Assert.True(usage.ExitCode == 2, usage.ToString());
        Assert.Contains("--delete", usage.Error);

        // An IO failure reads as a sentence, not as a runtime resource key such as "IO_PathNotFound_Path, /x".
        var blocked = Path.Combine(sandbox.Root, "file");
        File.WriteAllText(blocked, "in the way");
        var unwritable = await CliProcess.RunAsync("--state-dir", Path.Combine(blocked, "state"), "tag", "busybox", "local/busybox:x");
        var line = unwritable.AssertOneErrorLine();
        Assert.Contains(Path.Combine(blocked, "state"), line);
        Assert.DoesNotMatch(@"\bIO_[A-Za-z_]+", line);
    }
}
