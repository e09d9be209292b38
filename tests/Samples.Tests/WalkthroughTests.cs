using System.Text.RegularExpressions;

namespace ImageCache.Samples.Tests;

/// <summary>
/// docs/plugins.md §4 as CI runs it: the shell block between the walkthrough markers, unchanged, with a fresh
/// HOME (so <c>~/.imagecache</c> is new), <c>imagecache</c> meaning the built CLI with the first-party plugins, and
/// <c>ROOTFS_URL</c> pointing at a tarball served on 127.0.0.1.
/// </summary>
[Collection(SamplesCollection.Name)] // dotnet publish of the same sample must not run beside PublishedSamples'
public sealed class WalkthroughTests : IDisposable
{
    readonly string home = Directory.CreateTempSubdirectory("imagecache-walkthrough-").FullName;
    readonly TarballServer server = new();

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(home, recursive: true);
    }

    static string WalkthroughBlock()
    {
        var doc = File.ReadAllText(Path.Combine(Tool.RepoRoot, "docs", "plugins.md"));
        var match = Regex.Match(doc, @"<!-- walkthrough:begin[^>]*-->\s*```sh\n(?<script>.*?)```\s*<!-- walkthrough:end -->", RegexOptions.Singleline);
        Assert.True(match.Success, "docs/plugins.md has no walkthrough block");
        return match.Groups["script"].Value;
    }

    [Fact]
    public async Task The_plugin_guide_walkthrough_builds_installs_and_pulls_through_the_sample_fetcher()
    {
        server.Serve("alpine-minirootfs.tar.gz", RootfsTarball.Gzip(RootfsTarball.Tar()));
        var preamble = $"""
            set -euo pipefail
            imagecache() {"{"} "{Tool.Dotnet}" "{Tool.CliDll}" --plugins-dir "{PublishedSamples.FirstPartyPluginsDir}" "$@"; {"}"}
            """;
        var script = Path.Combine(home, "walkthrough.sh");
        await File.WriteAllTextAsync(script, preamble + "\n" + WalkthroughBlock());

        var userNuGetConfig = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "NuGet", "NuGet.Config");
        if (File.Exists(userNuGetConfig))
        {
            Directory.CreateDirectory(Path.Combine(home, ".nuget", "NuGet"));
            File.Copy(userNuGetConfig, Path.Combine(home, ".nuget", "NuGet", "NuGet.Config"));
        }
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

        var result = await Tool.RunAsync("bash", [script], Tool.RepoRoot, new Dictionary<string, string?>
        {
            ["HOME"] = home,
            ["NUGET_PACKAGES"] = packages,
            ["ROOTFS_URL"] = server.Url("alpine-minirootfs.tar.gz"),
        }, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"ImageCache\.Samples\.HttpTarball\s+loaded\s+http:, https:", result.Stdout);
        Assert.Contains(server.Url("alpine-minirootfs.tar.gz"), result.Stdout, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(home, ".imagecache", "images", "rootfs"), "*.ext4"));
    }
}
