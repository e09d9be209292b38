using System.Text.Json.Nodes;

namespace ImageCache.Samples.Tests;

/// <summary>
/// Each isolation outcome as a user sees it in <c>imagecache plugins</c>: the fixture plugins (tests/Fixtures/Plugins,
/// published by FixturePlugins.targets) loaded together, found through --plugins-dir or $IMAGECACHE_PLUGINS. That
/// the loaded ones also work (each Newtonsoft.Json version in its own context) is proven in Host.Tests.
/// </summary>
public sealed class PluginsCommandTests : IDisposable
{
    const string Prefix = "ImageCache.Fixtures.";
    readonly string state = Directory.CreateTempSubdirectory("imagecache-plugins-cli-").FullName;

    public void Dispose() => Directory.Delete(state, recursive: true);

    static string FixturesDir
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "fixture-plugins");
            if (!Directory.Exists(Path.Combine(dir, Prefix + "Good"))) Assert.Fail($"{dir} holds no fixture plugins; rebuild tests/Samples.Tests");
            return dir;
        }
    }

    static Dictionary<string, JsonNode> Entries(ToolResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.Stdout)!["plugins"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
    }

    static void AssertOutcome(Dictionary<string, JsonNode> entries, string plugin, string status, string? reasonPart = null)
    {
        var entry = entries[Prefix + plugin];
        Assert.Equal(status, (string)entry["status"]!);
        if (reasonPart is not null) Assert.Contains(reasonPart, (string)entry["reason"]!, StringComparison.Ordinal);
    }

    static void AssertEveryOutcome(Dictionary<string, JsonNode> entries)
    {
        AssertOutcome(entries, "Good", "loaded");
        AssertOutcome(entries, "NewtonsoftTwelve", "loaded");
        AssertOutcome(entries, "NewtonsoftThirteen", "loaded");
        AssertOutcome(entries, "ThrowsInRegister", "failed", "threw while registering");
        AssertOutcome(entries, "MissingDependency", "failed", "ImageCache.Fixtures.AbsentLibrary");
        AssertOutcome(entries, "WrongContract", "failed", "built against plugin contract v99; this host implements v1");
        AssertOutcome(entries, "ClashA", "loaded");
        AssertOutcome(entries, "ClashB", "loaded", "transport 'fixture-clash' already provided by plugin ImageCache.Fixtures.ClashA");
    }

    [Fact]
    public async Task Plugins_json_shows_every_isolation_outcome_from_a_plugins_dir() =>
        AssertEveryOutcome(Entries(await Tool.CliAsync(["--state-dir", state, "--json", "--plugins-dir", FixturesDir, "plugins"])));

    [Fact]
    public async Task IMAGECACHE_PLUGINS_is_searched_like_a_plugins_dir() =>
        AssertEveryOutcome(Entries(await Tool.CliAsync(["--state-dir", state, "--json", "plugins"],
            new Dictionary<string, string?> { ["IMAGECACHE_PLUGINS"] = "/nonexistent-imagecache-dir:" + FixturesDir })));

    [Fact]
    public async Task Plugins_text_gives_one_row_per_plugin_with_its_status_and_why()
    {
        var result = await Tool.CliAsync(["--state-dir", state, "--plugins-dir", FixturesDir, "plugins"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Stdout.Split('\n');
        string Row(string plugin) => Assert.Single(rows, r => r.StartsWith(Prefix + plugin + " ", StringComparison.Ordinal));
        Assert.Contains("failed", Row("ThrowsInRegister"), StringComparison.Ordinal);
        Assert.Contains("threw while registering", Row("ThrowsInRegister"), StringComparison.Ordinal);
        Assert.Contains("contract v99", Row("WrongContract"), StringComparison.Ordinal);
        Assert.Contains("AbsentLibrary", Row("MissingDependency"), StringComparison.Ordinal);
        Assert.Contains("already provided by plugin ImageCache.Fixtures.ClashA", Row("ClashB"), StringComparison.Ordinal);
        Assert.Contains("json13:", Row("NewtonsoftThirteen"), StringComparison.Ordinal);
        Assert.Contains("builder json12 (json)", Row("NewtonsoftTwelve"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plugin_without_a_builder_offers_no_default_and_pull_says_so()
    {
        var result = await Tool.CliAsync(["--state-dir", state, "--plugins-dir", FixturesDir, "pull", "--format", "ext4", "fixture-good:x"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: no builder writes ext4; known formats: json, listing, none", result.Stderr, StringComparison.Ordinal);
    }
}
