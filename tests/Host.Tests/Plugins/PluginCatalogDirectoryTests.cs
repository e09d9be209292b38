using ImageCache.Host.Plugins;
using Xunit;

namespace ImageCache.Host.Tests.Plugins;

public sealed class PluginCatalogDirectoryTests
{
    [Fact]
    public void Default_directories_are_app_then_state_then_options_then_environment()
    {
        var directories = PluginCatalog.DefaultDirectories("/opt/ic", "/var/ic", ["/x/one", "/x/two/"], "/e/one:/e/two");

        Assert.Equal(["/opt/ic/plugins", "/var/ic/plugins", "/x/one", "/x/two", "/e/one", "/e/two"], directories);
    }

    [Fact]
    public void Default_directories_drop_duplicates_and_empty_environment_entries_keeping_the_first()
    {
        var directories = PluginCatalog.DefaultDirectories("/opt/ic", "/opt/ic", ["/opt/ic/plugins/"], ":/e//one::/opt/ic/plugins:");

        Assert.Equal(["/opt/ic/plugins", "/e/one"], directories);
    }

    [Fact]
    public void Default_directories_without_options_or_environment_are_app_and_state_only()
    {
        var directories = PluginCatalog.DefaultDirectories("/opt/ic", "/var/ic", [], null);

        Assert.Equal(["/opt/ic/plugins", "/var/ic/plugins"], directories);
    }

    [Fact]
    public void Relative_directories_are_made_absolute()
    {
        var catalog = new PluginCatalog(["some-plugins"]);

        Assert.Equal([Path.Combine(Directory.GetCurrentDirectory(), "some-plugins")], catalog.Directories);
    }
}
