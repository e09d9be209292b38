using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Host.Plugins;
using Xunit;

namespace ImageCache.Host.Tests.Plugins;

/// <summary><see cref="PluginCatalog.Open"/>: the same report as loading everything, with plugins loaded only when used.</summary>
public sealed class LazyPluginCatalogTests
{
    static readonly int FixtureFolders = Directory.GetDirectories(FixturePlugins.Root).Length;

    [Fact]
    public void Report_is_the_eager_report_both_when_every_folder_is_inspected_and_when_all_come_from_the_cache()
    {
        using var temp = new TemporaryDirectory();
        var cache = Path.Combine(temp.Path, "plugins.json");
        var (eager, _) = FixturePlugins.Load(FixturePlugins.Root);

        var first = new PluginCatalog([FixturePlugins.Root]);
        using var inspected = first.Open(cache);
        var second = new PluginCatalog([FixturePlugins.Root]);
        using var cached = second.Open(cache);

        Assert.Equal(FixtureFolders, first.InspectedCount);
        Assert.Equal(0, second.InspectedCount);
        Assert.Equal(Describe(eager), Describe(inspected.Report));
        Assert.Equal(Describe(eager), Describe(cached.Report));
        Assert.Contains(cached.Report.Entries, e => e.Reason == "threw while registering: fixture refuses to register");
        Assert.Contains(cached.Report.Entries, e => e.Reason == "transport 'fixture-clash' already provided by plugin ImageCache.Fixtures.ClashA");
    }

    [Fact]
    public async Task Cached_registry_loads_only_the_plugins_whose_services_are_asked_for()
    {
        using var temp = new TemporaryDirectory();
        var cache = Path.Combine(temp.Path, "plugins.json");
        using (new PluginCatalog([FixturePlugins.Root]).Open(cache)) { }

        using var registry = new PluginCatalog([FixturePlugins.Root]).Open(cache);
        var loaded = ((LazyPluginServices)registry.Services).LoadedNames;
        Assert.Empty(loaded);

        var image = await registry.GetFetcher("fixture-good")
            .FetchAsync(new FetchRequest("a/b", null, new UnusedBlobStore(), false, null), CancellationToken.None);
        Assert.Equal("fixture-good:a/b#stamped-by-register", image.ResolvedReference); // its Register ran, from the cache's entry point
        Assert.Equal([FixturePlugins.Good], loaded);

        var output = Path.Combine(temp.Path, "json12.json");
        await registry.GetBuilder("json12").BuildAsync(
            new BuildRequest(output, null, "key", 0, 0, new Dictionary<string, string>(), null), Entries(), CancellationToken.None);
        var twelve = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement;
        Assert.Equal("12.0.0.0", twelve.GetProperty("assemblyVersion").GetString());
        Assert.Equal("FirstClashFetcher", registry.GetFetcher("fixture-clash").GetType().Name);
        Assert.Equal([FixturePlugins.Good, FixturePlugins.NewtonsoftTwelve, FixturePlugins.ClashA], loaded);
    }

    [Fact]
    public void Folder_changed_after_it_was_cached_is_inspected_again()
    {
        using var temp = new TemporaryDirectory();
        var root = temp.Subdirectory("plugins");
        var cache = Path.Combine(temp.Path, "plugins.json");
        FixturePlugins.CopyInto(root, FixturePlugins.Good);
        FixturePlugins.CopyInto(root, FixturePlugins.ClashA);
        using (new PluginCatalog([root]).Open(cache)) { }

        // Same name, same folder, no longer an assembly.
        var dll = Path.Combine(root, FixturePlugins.Good, FixturePlugins.Good + ".dll");
        File.WriteAllText(dll, "not an assembly any more");
        var catalog = new PluginCatalog([root]);
        using var registry = catalog.Open(cache);

        Assert.Equal(1, catalog.InspectedCount);
        var entry = registry.Report.Entry(FixturePlugins.Good);
        Assert.Equal((PluginLoadStatus.Skipped, $"{FixturePlugins.Good}.dll is not a .NET assembly"), (entry.Status, entry.Reason));
        Assert.Null(registry.FindFetcher("fixture-good"));

        // Put back: inspected again, loaded again.
        File.Copy(Path.Combine(FixturePlugins.Folder(FixturePlugins.Good), FixturePlugins.Good + ".dll"), dll, overwrite: true);
        var again = new PluginCatalog([root]);
        using var restored = again.Open(cache);
        Assert.Equal(1, again.InspectedCount);
        Assert.Equal(PluginLoadStatus.Loaded, restored.Report.Entry(FixturePlugins.Good).Status);
    }

    [Fact]
    public void Cached_plugin_that_does_not_load_as_described_is_reported_when_used_and_inspected_again_next_time()
    {
        using var temp = new TemporaryDirectory();
        var root = temp.Subdirectory("plugins");
        var cache = Path.Combine(temp.Path, "plugins.json");
        FixturePlugins.CopyInto(root, FixturePlugins.Good);
        using (new PluginCatalog([root]).Open(cache)) { }
        // What loading reveals and the folder's fingerprint cannot: the class the cache names is not in the assembly.
        File.WriteAllText(cache, File.ReadAllText(cache).Replace("ImageCache.Fixtures.Good.GoodFetcher", "ImageCache.Fixtures.Good.Gone", StringComparison.Ordinal));

        var catalog = new PluginCatalog([root]);
        using (var registry = catalog.Open(cache))
        {
            Assert.Equal(0, catalog.InspectedCount);
            var error = Assert.Throws<PluginServiceNotFoundException>(() => registry.GetFetcher("fixture-good"));
            Assert.Equal(
                $"plugin {FixturePlugins.Good} provides transport 'fixture-good' but could not be loaded: {FixturePlugins.Good} has no type ImageCache.Fixtures.Good.Gone "
                + "(run `imagecache plugins` to see every plugin's state)",
                error.Message);
        }

        var next = new PluginCatalog([root]);
        using var repaired = next.Open(cache);
        Assert.Equal(1, next.InspectedCount);
        Assert.Equal("GoodFetcher", repaired.GetFetcher("fixture-good").GetType().Name);
    }

    [Theory]
    [InlineData("another host build")]
    [InlineData("garbage")]
    public void Cache_of_another_host_build_or_unreadable_is_ignored_and_rewritten(string damage)
    {
        using var temp = new TemporaryDirectory();
        var root = temp.Subdirectory("plugins");
        var cache = Path.Combine(temp.Path, "plugins.json");
        FixturePlugins.CopyInto(root, FixturePlugins.Good);
        using (new PluginCatalog([root]).Open(cache)) { }
        var text = File.ReadAllText(cache);
        File.WriteAllText(cache, damage == "garbage" ? text[..(text.Length / 2)]
            : text.Replace(PluginCache.HostKey, "00000000000000000000000000000000-00000000000000000000000000000000", StringComparison.Ordinal));

        var catalog = new PluginCatalog([root]);
        using (var registry = catalog.Open(cache)) Assert.Equal(PluginLoadStatus.Loaded, registry.Report.Entry(FixturePlugins.Good).Status);
        var next = new PluginCatalog([root]);
        using (next.Open(cache)) { }

        Assert.Equal((1, 0), (catalog.InspectedCount, next.InspectedCount));
    }

    [Fact]
    public void Processes_with_other_plugin_directories_keep_each_others_cache_entries()
    {
        using var temp = new TemporaryDirectory();
        var first = temp.Subdirectory("first");
        var second = temp.Subdirectory("second");
        var cache = Path.Combine(temp.Path, "plugins.json");
        FixturePlugins.CopyInto(first, FixturePlugins.Good);
        FixturePlugins.CopyInto(second, FixturePlugins.ClashA);

        using (new PluginCatalog([first]).Open(cache)) { }
        var other = new PluginCatalog([second]);
        using (other.Open(cache)) { }
        var again = new PluginCatalog([first]);
        using (again.Open(cache)) { }
        var both = new PluginCatalog([first, second]);
        using (both.Open(cache)) { }

        Assert.Equal((1, 0, 0), (other.InspectedCount, again.InspectedCount, both.InspectedCount));
    }

    [Fact]
    public void The_cache_never_creates_the_state_directory_and_is_saved_once_the_state_directory_exists()
    {
        using var temp = new TemporaryDirectory();
        var root = temp.Subdirectory("plugins");
        FixturePlugins.CopyInto(root, FixturePlugins.Good);
        var state = Path.Combine(temp.Path, "state");
        var cache = Path.Combine(state, "cache", "plugins.json");

        using (var registry = new PluginCatalog([root]).Open(cache))
        {
            Assert.Equal("GoodFetcher", registry.GetFetcher("fixture-good").GetType().Name);
            Assert.False(Directory.Exists(state));

            Directory.CreateDirectory(state); // what the pull does next (the index store makes it)
            registry.SaveCache();
        }

        var next = new PluginCatalog([root]);
        using (next.Open(cache)) { }
        Assert.Equal(0, next.InspectedCount);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(cache)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
    }

    [Fact]
    public void Without_a_cache_file_every_folder_is_inspected_and_nothing_is_written()
    {
        using var temp = new TemporaryDirectory();
        var root = temp.Subdirectory("plugins");
        FixturePlugins.CopyInto(root, FixturePlugins.Good);

        var catalog = new PluginCatalog([root]);
        using var registry = catalog.Open(cacheFile: null);

        Assert.Equal(1, catalog.InspectedCount);
        Assert.Equal("GoodFetcher", registry.GetFetcher("fixture-good").GetType().Name);
        Assert.Equal(["plugins"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    static List<string> Describe(PluginLoadReport report) =>
    [
        .. report.Entries.Select(e =>
            $"{e.Name}|{e.Path}|{e.Status}|{e.Reason}|{string.Join(",", e.Fetchers.Select(f => $"{f.Transport}/{f.Description}/{f.PluginName}"))}|"
            + string.Join(",", e.Builders.Select(b =>
                $"{b.Name}/{b.Format}/{b.Extension}/{string.Join("+", b.RequiredTools)}/{string.Join("+", b.HostOperatingSystems)}/{b.Description}/{b.PluginName}"))),
    ];

    static async IAsyncEnumerable<FilesystemEntry> Entries()
    {
        await Task.Yield();
        yield break;
    }
}
