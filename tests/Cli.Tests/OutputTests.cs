using System.Text.Json;

namespace ImageCache.Cli.Tests;

/// <summary>DESIGN §8 output: <c>--json</c> prints one document whose arrays are never null; text prints the original's summary lines.</summary>
public sealed class OutputTests : IDisposable
{
    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Out); // exactly one document: anything after it fails to parse
        return document.RootElement.Clone();
    }

    static void AssertPruneShape(JsonElement root)
    {
        foreach (var name in new[] { "removed", "deleted", "kept", "orphans_deleted" })
            Assert.True(root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array, $"\"{name}\" is not an array in {root}");
    }

    [Fact]
    public async Task Json_list_of_the_originals_index_has_every_record()
    {
        sandbox.WithGoState();

        var root = Json(await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "list"));

        Assert.Equal(new[] { "busybox", "local/busybox:tagged", "python:3.13-slim" }, CliSandbox.Refs(root.GetProperty("images")));
        Assert.Single(root.EnumerateObject());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Json_list_of_an_empty_state_is_an_empty_images_array(bool indexExists)
    {
        if (indexExists) CliSandbox.WriteFile(sandbox.IndexFile, "{\"images\": null}\n");

        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "ls", "--json");

        var images = Json(result).GetProperty("images");
        Assert.Equal(JsonValueKind.Array, images.ValueKind);
        Assert.Equal(0, images.GetArrayLength());
    }

    [Fact]
    public async Task Text_list_of_an_empty_state_says_no_images()
    {
        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("No images.\n", result.Out);
    }

    [Fact]
    public async Task Text_list_shows_a_table_with_short_digests()
    {
        sandbox.WithGoState();

        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "list");

        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("IMAGE", lines[0]);
        Assert.Contains("9ae97d36d265", lines[1]);
        Assert.DoesNotContain("sha256:", result.Out);
    }

    [Fact]
    public async Task Json_rm_has_removed_deleted_and_kept_arrays_even_when_empty()
    {
        sandbox.WithGoState();

        var root = Json(await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "rm", "local/busybox:tagged"));

        AssertPruneShape(root);
        Assert.Equal(new[] { "local/busybox:tagged" }, CliSandbox.Refs(root.GetProperty("removed")));
        Assert.Equal(0, root.GetProperty("deleted").GetArrayLength());
        Assert.Equal(new[] { "busybox", "python:3.13-slim" }, CliSandbox.Refs(root.GetProperty("kept")));
        Assert.True(File.Exists(sandbox.SharedBaseline));
    }

    [Fact]
    public async Task Json_prune_of_an_empty_state_has_only_empty_arrays()
    {
        var root = Json(await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "prune"));

        AssertPruneShape(root);
        Assert.All(root.EnumerateObject().Where(p => p.Name != "blobs"), p => Assert.Equal(0, p.Value.GetArrayLength()));
        var blobs = root.GetProperty("blobs");
        Assert.Equal(0, blobs.GetProperty("deleted").GetArrayLength());
        Assert.Equal(0, blobs.GetProperty("refs_removed").GetArrayLength());
        Assert.Equal(0, blobs.GetProperty("bytes_freed").GetInt64());
        Assert.Equal(JsonValueKind.Null, blobs.GetProperty("skipped").ValueKind);
    }

    [Fact]
    public async Task Text_rm_prints_the_originals_summary_lines()
    {
        sandbox.WithGoState();

        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "rm", "local/busybox:tagged");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Removed: 1\nDeleted: 0\nKept: 2\n", result.Out);
    }

    [Fact]
    public async Task Json_tag_prints_the_new_record_sharing_the_baseline()
    {
        sandbox.WithGoState();

        var root = Json(await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "tag", "busybox", "local/busybox:stable"));

        Assert.Equal("local/busybox:stable", root.GetProperty("image_ref").GetString());
        Assert.Equal(sandbox.SharedBaseline, root.GetProperty("output_path").GetString());
        Assert.Equal(CliSandbox.BusyboxDigest, root.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Json_inspect_by_short_digest_prints_every_name_of_that_digest()
    {
        sandbox.WithGoState();

        var root = Json(await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "inspect", "9ae97d36d265"));

        Assert.Equal(new[] { "busybox", "local/busybox:tagged" }, CliSandbox.Refs(root.GetProperty("images")));
    }

    [Fact]
    public async Task Text_inspect_prints_the_fields_the_original_kept_unknown()
    {
        sandbox.WithGoState();

        var result = await InProcessCli.RunAsync("--state-dir", sandbox.State, "inspect", "busybox");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Image:", result.Out);
        Assert.Contains(CliSandbox.BusyboxDigest, result.Out);
        Assert.Contains("image_defaults", result.Out);
    }

    [Fact]
    public async Task Json_verify_reports_each_record_and_fails_when_one_is_not_ok()
    {
        sandbox.WithGoState();

        var result = await InProcessCli.RunAsync("--json", "--state-dir", sandbox.State, "verify");

        Assert.Equal(1, result.ExitCode);
        using var document = JsonDocument.Parse(result.Out);
        var statuses = document.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("image_ref").GetString(), r.GetProperty("status").GetString())).OrderBy(r => r.Item1, StringComparer.Ordinal).ToArray();
        // The fixture's hashes are made up, and python's record was never sealed.
        Assert.Equal(new (string?, string?)[] { ("busybox", "modified"), ("local/busybox:tagged", "modified"), ("python:3.13-slim", "unsealed") }, statuses);
        Assert.False(document.RootElement.GetProperty("ok").GetBoolean());
        Assert.StartsWith("error: 3 of 3", Assert.Single(result.ErrorLines));
    }
}
