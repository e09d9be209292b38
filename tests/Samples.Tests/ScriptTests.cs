namespace ImageCache.Samples.Tests;

/// <summary>
/// scripts/*.cs as docs/scripting.md tells a user to run them: the ImageCache packages packed into
/// artifacts/packages, then <c>dotnet run scripts/NAME.cs</c>, which restores them with <c>#:package</c> from that
/// folder. A private NuGet packages folder keeps an older ImageCache 0.1.0 in the user's cache from being used.
/// </summary>
[Collection(SamplesCollection.Name)] // keeps child builds from running beside the sample publishes
public sealed class ScriptTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("imagecache-scripts-").FullName;

    string State => Path.Combine(root, "state");

    public void Dispose() => Directory.Delete(root, recursive: true);

    Task<ToolResult> Script(string name, params string[] arguments) =>
        Tool.RunAsync(Tool.Dotnet, ["run", "--no-cache", Path.Combine("scripts", name), "--", .. arguments], Tool.RepoRoot,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(root, "nuget-packages") }, TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Scripts_pull_a_list_export_the_index_as_csv_and_prune_printing_the_bytes_freed()
    {
        foreach (var project in new[] { "src/Contracts", "src/Core", "src/Host" })
        {
            var pack = await Tool.RunAsync(Tool.Dotnet, ["pack", project, "-c", "Release", "-o", "artifacts/packages", "-nologo"], Tool.RepoRoot,
                timeout: TimeSpan.FromMinutes(5));
            Assert.True(pack.ExitCode == 0, $"dotnet pack {project}: {pack}");
        }

        var sample = Path.Combine(Tool.RepoRoot, "samples", "hello-oci");
        var list = Path.Combine(root, "images.txt");
        await File.WriteAllTextAsync(list, $"# images to pull\n\noci:{sample}:v1\n");
        var pulled = await Script("pull-list.cs", list, "--state-dir", State, "--plugins-dir", PublishedSamples.FirstPartyPluginsDir);
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        var baseline = Assert.Single(Directory.GetFiles(Path.Combine(State, "images", "rootfs"), "*.ext4"));
        Assert.Contains($"ok oci:{sample}:v1 -> {baseline}", pulled.Stdout, StringComparison.Ordinal);

        var csv = await Script("index-to-csv.cs", "--state-dir", State);
        Assert.True(csv.ExitCode == 0, csv.ToString());
        var rows = csv.Stdout.Trim().Split('\n');
        Assert.Equal("image_ref,digest,platform,format,builder,size_bytes,created_at,last_used_at,output_path", rows[0]);
        var fields = Assert.Single(rows[1..]).Split(',');
        Assert.Equal($"oci:{sample}:v1", fields[0]);
        Assert.Equal("ext4", fields[3]);
        Assert.Equal(new FileInfo(baseline).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[5]);
        Assert.Equal(baseline, fields[8]);

        var baselineBytes = new FileInfo(baseline).Length;
        var pruned = await Script("prune-unused.cs", "0", "--state-dir", State);
        Assert.True(pruned.ExitCode == 0, pruned.ToString());
        Assert.Contains($"deleted {baseline}", pruned.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(baseline));
        var freed = long.Parse(pruned.Stdout.Split('\n').Single(l => l.StartsWith("freed ", StringComparison.Ordinal)).Split(' ')[1],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(freed, baselineBytes, long.MaxValue); // the baseline, and any blobs the prune collected

        var empty = await Script("index-to-csv.cs", "--state-dir", State);
        Assert.Single(empty.Stdout.Trim().Split('\n'));
    }
}
