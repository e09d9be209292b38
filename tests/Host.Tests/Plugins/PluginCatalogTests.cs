using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ImageCache.Host.Tests.Plugins;

public sealed class PluginCatalogTests
{
    [Fact]
    public void Good_plugin_loads_with_its_fetcher_and_builder_described_by_their_attributes()
    {
        var (report, _) = FixturePlugins.Load(FixturePlugins.Root);

        var entry = report.Entry(FixturePlugins.Good);
        Assert.Equal(PluginLoadStatus.Loaded, entry.Status);
        Assert.Null(entry.Reason);
        Assert.Equal(Path.Combine(FixturePlugins.Folder(FixturePlugins.Good), FixturePlugins.Good + ".dll"), entry.Path);
        Assert.Equal([new FetcherDescriptor("fixture-good", "Echoes the request back", FixturePlugins.Good)], entry.Fetchers);
        var builder = Assert.Single(entry.Builders);
        Assert.Equal(("fixture-null", "listing", "txt", "Writes the entry paths, one a line", FixturePlugins.Good),
            (builder.Name, builder.Format, builder.Extension, builder.Description, builder.PluginName));
        Assert.Equal(["true"], builder.RequiredTools);
        Assert.Equal(["linux", "osx"], builder.HostOperatingSystems);
    }

    [Fact]
    public async Task Good_fetcher_is_resolved_by_transport_and_gets_the_service_its_plugin_registered()
    {
        var (_, provider) = FixturePlugins.Load(FixturePlugins.Root);

        var fetcher = provider.GetRequiredKeyedService<IImageFetcher>("fixture-good");
        var request = new FetchRequest("example/app:1", new PlatformSpec("linux", "arm64"), new UnusedBlobStore(), false, null);
        var image = await fetcher.FetchAsync(request, CancellationToken.None);

        Assert.Equal("fixture-good:example/app:1#stamped-by-register", image.ResolvedReference);
        Assert.Equal(new PlatformSpec("linux", "arm64"), image.Platform);
        var refusal = await Assert.ThrowsAsync<ImageSourceException>(
            () => fetcher.FetchAsync(request with { Location = "" }, CancellationToken.None));
        Assert.Equal("fixture-good: empty location", refusal.Message);
    }

    [Fact]
    public async Task Good_builder_is_resolved_by_name_and_writes_every_entry_path()
    {
        using var temp = new TemporaryDirectory();
        var (_, provider) = FixturePlugins.Load(FixturePlugins.Root);
        var output = Path.Combine(temp.Path, "out.txt");

        var builder = provider.GetRequiredKeyedService<IFilesystemBuilder>("fixture-null");
        var result = await builder.BuildAsync(Request(output), Entries("", "etc", "etc/hostname"), CancellationToken.None);

        Assert.Equal(["", "etc", "etc/hostname"], await File.ReadAllLinesAsync(output));
        Assert.Equal(3, result.EntriesWritten);
        Assert.Equal(new FileInfo(output).Length, result.SizeBytes);
    }

    [Fact]
    public async Task Each_Newtonsoft_plugin_gets_its_own_Newtonsoft_version_from_its_own_folder()
    {
        using var temp = new TemporaryDirectory();
        var (report, provider) = FixturePlugins.Load(FixturePlugins.Root);
        Assert.Equal(PluginLoadStatus.Loaded, report.Entry(FixturePlugins.NewtonsoftThirteen).Status);
        Assert.Equal(PluginLoadStatus.Loaded, report.Entry(FixturePlugins.NewtonsoftTwelve).Status);

        var fetched = await provider.GetRequiredKeyedService<IImageFetcher>("json13").FetchAsync(
            new FetchRequest("x", null, new UnusedBlobStore(), false, null), CancellationToken.None);
        var thirteen = JsonDocument.Parse(fetched.ResolvedReference).RootElement;
        var output = Path.Combine(temp.Path, "json12.json");
        await provider.GetRequiredKeyedService<IFilesystemBuilder>("json12").BuildAsync(Request(output), Entries(), CancellationToken.None);
        var twelve = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement;

        Assert.Equal("13.0.0.0", thirteen.GetProperty("assemblyVersion").GetString());
        Assert.StartsWith("13.0.1.", thirteen.GetProperty("fileVersion").GetString());
        Assert.Equal(Path.Combine(FixturePlugins.Folder(FixturePlugins.NewtonsoftThirteen), "Newtonsoft.Json.dll"),
            thirteen.GetProperty("location").GetString());
        Assert.Equal("12.0.0.0", twelve.GetProperty("assemblyVersion").GetString());
        Assert.StartsWith("12.0.3.", twelve.GetProperty("fileVersion").GetString());
        Assert.Equal(Path.Combine(FixturePlugins.Folder(FixturePlugins.NewtonsoftTwelve), "Newtonsoft.Json.dll"),
            twelve.GetProperty("location").GetString());
    }

    [Fact]
    public void Plugin_that_throws_in_Register_fails_and_registers_nothing()
    {
        var (report, provider) = FixturePlugins.Load(FixturePlugins.Root);

        var entry = report.Entry(FixturePlugins.ThrowsInRegister);
        Assert.Equal(PluginLoadStatus.Failed, entry.Status);
        Assert.Equal("threw while registering: fixture refuses to register", entry.Reason);
        Assert.Empty(entry.Fetchers);
        Assert.Null(provider.GetKeyedService<IImageFetcher>("throws-in-register"));
    }

    [Fact]
    public void Plugin_built_against_another_contract_version_fails()
    {
        var (report, provider) = FixturePlugins.Load(FixturePlugins.Root);

        var entry = report.Entry(FixturePlugins.WrongContract);
        Assert.Equal(PluginLoadStatus.Failed, entry.Status);
        Assert.Equal("built against plugin contract v99; this host implements v1", entry.Reason);
        Assert.Null(provider.GetKeyedService<IImageFetcher>("wrong-contract"));
    }

    [Fact]
    public void Plugin_missing_a_dependency_fails_with_the_loader_message_naming_it()
    {
        var (report, provider) = FixturePlugins.Load(FixturePlugins.Root);

        var entry = report.Entry(FixturePlugins.MissingDependency);
        Assert.Equal(PluginLoadStatus.Failed, entry.Status);
        Assert.StartsWith("could not load its types: ", entry.Reason);
        Assert.Contains("ImageCache.Fixtures.AbsentLibrary", entry.Reason);
        Assert.Null(provider.GetKeyedService<IImageFetcher>("missing-dependency"));
    }

    [Fact]
    public void Class_implementing_the_fetcher_interface_without_the_attribute_fails_the_plugin()
    {
        var (report, _) = FixturePlugins.Load(FixturePlugins.Root);

        var entry = report.Entry(FixturePlugins.Unmarked);
        Assert.Equal(PluginLoadStatus.Failed, entry.Status);
        Assert.Equal("ImageCache.Fixtures.Unmarked.UnmarkedFetcher implements IImageFetcher but has no [Fetcher] attribute", entry.Reason);
    }

    [Fact]
    public void Fetcher_attribute_on_a_class_without_the_interface_fails_the_plugin()
    {
        var (report, _) = FixturePlugins.Load(FixturePlugins.Root);

        var entry = report.Entry(FixturePlugins.MisplacedAttribute);
        Assert.Equal(PluginLoadStatus.Failed, entry.Status);
        Assert.Equal(
            "ImageCache.Fixtures.MisplacedAttribute.NotAFetcher has [Fetcher] but is not a concrete class implementing IImageFetcher",
            entry.Reason);
    }

    [Fact]
    public void Broken_plugins_do_not_stop_the_good_ones()
    {
        var (report, _) = FixturePlugins.Load(FixturePlugins.Root);

        var statuses = report.Entries.ToDictionary(e => e.Name, e => e.Status);
        Assert.Equal(
            new Dictionary<string, PluginLoadStatus>
            {
                [FixturePlugins.ClashA] = PluginLoadStatus.Loaded,
                [FixturePlugins.ClashB] = PluginLoadStatus.Loaded,
                [FixturePlugins.Good] = PluginLoadStatus.Loaded,
                [FixturePlugins.MisplacedAttribute] = PluginLoadStatus.Failed,
                [FixturePlugins.MissingDependency] = PluginLoadStatus.Failed,
                [FixturePlugins.NewtonsoftThirteen] = PluginLoadStatus.Loaded,
                [FixturePlugins.NewtonsoftTwelve] = PluginLoadStatus.Loaded,
                [FixturePlugins.ThrowsInRegister] = PluginLoadStatus.Failed,
                [FixturePlugins.Unmarked] = PluginLoadStatus.Failed,
                [FixturePlugins.WrongContract] = PluginLoadStatus.Failed,
            },
            statuses);
        Assert.Equal(
            ["fixture-clash", "fixture-good", "json13"],
            report.Fetchers.Select(f => f.Transport).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["fixture-clash-b", "fixture-null", "json12"],
            report.Builders.Select(b => b.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Transport_already_provided_by_an_earlier_plugin_is_refused_and_the_rest_of_the_plugin_kept()
    {
        var (report, provider) = FixturePlugins.Load(FixturePlugins.Root);

        var later = report.Entry(FixturePlugins.ClashB);
        Assert.Equal(PluginLoadStatus.Loaded, later.Status);
        Assert.Equal("transport 'fixture-clash' already provided by plugin ImageCache.Fixtures.ClashA", later.Reason);
        Assert.Empty(later.Fetchers);
        Assert.Equal(["fixture-clash-b"], later.Builders.Select(b => b.Name));
        Assert.Equal("FirstClashFetcher", provider.GetRequiredKeyedService<IImageFetcher>("fixture-clash").GetType().Name);
        Assert.Single(provider.GetKeyedServices<IImageFetcher>("fixture-clash"));
        Assert.Equal(FixturePlugins.ClashA, Assert.Single(report.Fetchers, f => f.Transport == "fixture-clash").PluginName);
    }

    [Fact]
    public void Earlier_directory_wins_a_clash_and_a_plugin_left_with_nothing_fails()
    {
        using var temp = new TemporaryDirectory();
        var first = temp.Subdirectory("first");
        var second = temp.Subdirectory("second");
        FixturePlugins.CopyInto(first, FixturePlugins.ClashB);
        FixturePlugins.CopyInto(second, FixturePlugins.ClashA);

        var (report, provider) = FixturePlugins.Load(first, second);

        Assert.Equal([FixturePlugins.ClashB, FixturePlugins.ClashA], report.Entries.Select(e => e.Name));
        Assert.Equal(PluginLoadStatus.Loaded, report.Entry(FixturePlugins.ClashB).Status);
        var refused = report.Entry(FixturePlugins.ClashA);
        Assert.Equal(PluginLoadStatus.Failed, refused.Status);
        Assert.Equal("transport 'fixture-clash' already provided by plugin ImageCache.Fixtures.ClashB", refused.Reason);
        Assert.Equal("SecondClashFetcher", provider.GetRequiredKeyedService<IImageFetcher>("fixture-clash").GetType().Name);
    }

    [Fact]
    public void Same_plugin_in_a_later_directory_is_skipped_naming_where_it_was_loaded_from()
    {
        using var temp = new TemporaryDirectory();
        var later = temp.Subdirectory("later");
        FixturePlugins.CopyInto(later, FixturePlugins.Good);

        var (report, _) = FixturePlugins.Load(FixturePlugins.Root, later);

        var entries = report.Entries.Where(e => e.Name == FixturePlugins.Good).ToList();
        Assert.Equal([PluginLoadStatus.Loaded, PluginLoadStatus.Skipped], entries.Select(e => e.Status));
        Assert.Equal($"a plugin named {FixturePlugins.Good} is already loaded from {entries[0].Path}", entries[1].Reason);
    }

    [Fact]
    public void Plugin_folders_load_in_ordinal_order_within_a_directory()
    {
        using var temp = new TemporaryDirectory();
        foreach (var name in new[] { "b", "_", "B", "a", "Z" })
        {
            temp.Subdirectory(name);
        }

        var (report, _) = FixturePlugins.Load(temp.Path);
        var (fixtures, _) = FixturePlugins.Load(FixturePlugins.Root);

        Assert.Equal(["B", "Z", "_", "a", "b"], report.Entries.Select(e => e.Name));
        Assert.Equal(
            fixtures.Entries.Select(e => e.Name).Order(StringComparer.Ordinal),
            fixtures.Entries.Select(e => e.Name));
    }

    [Fact]
    public void Directory_that_does_not_exist_is_skipped_quietly()
    {
        using var temp = new TemporaryDirectory();
        var missing = Path.Combine(temp.Path, "nowhere");

        var (report, _) = FixturePlugins.Load(missing, FixturePlugins.Root);

        Assert.Equal([missing, FixturePlugins.Root], report.Directories);
        Assert.DoesNotContain(report.Entries, e => e.Path.StartsWith(missing, StringComparison.Ordinal));
        Assert.Equal(PluginLoadStatus.Loaded, report.Entry(FixturePlugins.Good).Status);
    }

    [Fact]
    public void Folder_without_its_dll_is_skipped_with_the_reason()
    {
        using var temp = new TemporaryDirectory();
        var folder = temp.Subdirectory("Lonely");
        File.WriteAllText(Path.Combine(folder, "Other.dll"), "not the plugin");

        var (report, _) = FixturePlugins.Load(temp.Path);

        var entry = Assert.Single(report.Entries);
        Assert.Equal(("Lonely", folder, PluginLoadStatus.Skipped, "no Lonely.dll in the folder"),
            (entry.Name, entry.Path, entry.Status, entry.Reason));
    }

    [Fact]
    public void Assembly_that_does_not_reference_the_contract_is_skipped_as_not_a_plugin()
    {
        using var temp = new TemporaryDirectory();
        var folder = temp.Subdirectory("xunit.assert");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "xunit.assert.dll"), Path.Combine(folder, "xunit.assert.dll"));

        var (report, _) = FixturePlugins.Load(temp.Path);

        var entry = Assert.Single(report.Entries);
        Assert.Equal(PluginLoadStatus.Skipped, entry.Status);
        Assert.Equal("not an ImageCache plugin: it does not reference ImageCache.Contracts", entry.Reason);
    }

    [Fact]
    public void File_that_is_not_an_assembly_is_skipped()
    {
        using var temp = new TemporaryDirectory();
        var folder = temp.Subdirectory("Garbage");
        File.WriteAllText(Path.Combine(folder, "Garbage.dll"), "MZ? no.");

        var (report, _) = FixturePlugins.Load(temp.Path);

        var entry = Assert.Single(report.Entries);
        Assert.Equal(PluginLoadStatus.Skipped, entry.Status);
        Assert.Equal("Garbage.dll is not a .NET assembly", entry.Reason);
    }

    private static BuildRequest Request(string output) =>
        new(output, null, "0123", 0, 0, new Dictionary<string, string>(), null);

    private static async IAsyncEnumerable<FilesystemEntry> Entries(params string[] paths)
    {
        foreach (var path in paths)
        {
            await Task.Yield();
            var kind = path.Contains('/') ? FilesystemEntryKind.RegularFile : FilesystemEntryKind.Directory;
            yield return new FilesystemEntry(
                path, kind, Convert.ToInt32("755", 8), 0, 0, DateTimeOffset.UnixEpoch, new Dictionary<string, byte[]>(), null, 0, 0, 0, null);
        }
    }
}
