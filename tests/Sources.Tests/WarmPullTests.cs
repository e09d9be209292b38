using ImageCache.Host;
using ImageCache.Host.Operations;
using Xunit;

namespace ImageCache.Sources.Tests;

/// <summary>A warm pull (the image recorded and built): what it must not touch, and which plugins it needs.</summary>
public sealed class WarmPullTests : IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    static string PluginsDir => Path.Combine(AppContext.BaseDirectory, "published-plugins");

    [Fact]
    public async Task A_warm_pull_leaves_the_blob_store_index_alone_unless_a_killed_writer_left_its_temp_file()
    {
        var layout = sandbox.Sub("layout");
        TestImage.WriteLayout(layout);
        await sandbox.PullAsync($"oci:{layout}:v1");
        var index = Path.Combine(sandbox.OciDir, "index.json");
        var before = (File.ReadAllText(index), new FileInfo(index).LastWriteTimeUtc);

        await sandbox.PullAsync($"oci:{layout}:v1");
        Assert.Equal(before, (File.ReadAllText(index), new FileInfo(index).LastWriteTimeUtc));

        var stale = Path.Combine(sandbox.OciDir, ".index.json.tmp-999999-0123456789abcdef0123456789abcdef");
        await File.WriteAllTextAsync(stale, "{\"half\":");
        await sandbox.PullAsync($"oci:{layout}:v1");
        Assert.False(File.Exists(stale), "the warm pull left the killed writer's temp file");
        Assert.Equal(before.Item1, File.ReadAllText(index));
    }

    [Fact]
    public async Task A_warm_pull_does_not_load_the_builder_and_a_builder_that_fails_to_load_is_reported_when_a_build_needs_it()
    {
        var layout = sandbox.Sub("layout");
        TestImage.WriteLayout(layout);
        var built = await sandbox.PullAsync($"oci:{layout}:v1"); // the first pull into the new state directory writes the plugin cache too
        // Make the cached description of the ext4 builder wrong in a way only loading it reveals (its folder is unchanged).
        var cache = Path.Combine(sandbox.State, "cache", "plugins.json");
        var text = File.ReadAllText(cache);
        Assert.Contains("ImageCache.Builders.Ext4.Ext4Builder", text);
        File.WriteAllText(cache, text.Replace("ImageCache.Builders.Ext4.Ext4Builder", "ImageCache.Builders.Ext4.Missing", StringComparison.Ordinal));

        var warm = await sandbox.PullAsync($"oci:{layout}:v1"); // reuses the baseline: the builder is never loaded
        Assert.Equal(built.OutputPath, warm.OutputPath);

        var needsBuild = sandbox.Client().PullAsync(new PullRequest($"oci:{layout}:v1", Platform: "linux/amd64", SizeMiB: 64, PluginDirectories: [PluginsDir]));
        var error = await Assert.ThrowsAsync<ImageCacheException>(() => needsBuild);
        Assert.Equal(
            "plugin ImageCache.Builders.Ext4 provides builder 'ext4' but could not be loaded: ImageCache.Builders.Ext4 has no type ImageCache.Builders.Ext4.Missing "
            + "(run `imagecache plugins` to see every plugin's state)",
            error.Message);

        // The wrong description was dropped: the next pull inspects the folder again and builds.
        var rebuilt = await sandbox.Client().PullAsync(new PullRequest($"oci:{layout}:v1", Platform: "linux/amd64", SizeMiB: 64, PluginDirectories: [PluginsDir]));
        Assert.True(File.Exists(rebuilt.OutputPath));
        Assert.NotEqual(built.OutputPath, rebuilt.OutputPath);
    }
}
