using ImageCache.Host.Blobs;
using ImageCache.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;
using ImageCache.Contracts;
using Xunit;

namespace ImageCache.Plugins.Tests.Oci;

/// <summary>The plugin as the CLI loads it: published into its own folder, found by PluginCatalog, resolved by key.</summary>
public sealed class PluginLoadingTests : IDisposable
{
    const string PluginName = "ImageCache.Fetchers.Oci";
    static readonly string Published = Path.Combine(AppContext.BaseDirectory, "published-plugins");

    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_published_plugin_folder_holds_the_plugin_but_not_the_contract()
    {
        var folder = Path.Combine(Published, PluginName);
        Assert.True(File.Exists(Path.Combine(folder, PluginName + ".dll")), folder);
        Assert.False(File.Exists(Path.Combine(folder, "ImageCache.Contracts.dll")));
    }

    [Fact]
    public async Task PluginCatalog_loads_it_with_its_three_transports_and_the_oci_fetcher_resolved_by_key_works()
    {
        var services = new ServiceCollection();
        services.AddImageCachePlugins([Published], out var report);
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var registry = provider.GetRequiredService<PluginRegistry>();

        var entry = Assert.Single(report.Entries, e => e.Name == PluginName);
        Assert.Equal(PluginLoadStatus.Loaded, entry.Status);
        Assert.Null(entry.Reason);
        Assert.Equal(["docker-archive", "oci", "oci-archive"], entry.Fetchers.Select(f => f.Transport).Order(StringComparer.Ordinal));

        var layout = new TestLayout(_temp.Sub("layout"));
        var image = layout.AddImage();
        layout.WriteIndexJson(image.Manifest.Named("v1"));
        var fetched = await registry.GetFetcher("oci").FetchAsync(
            new FetchRequest($"{layout.Dir}:v1", null, new OciBlobStore(_temp.Sub("store")), false, null), CancellationToken.None);

        Assert.Equal(image.Manifest.Digest, fetched.ManifestDigest);
        Assert.NotSame(typeof(ImageCache.Fetchers.Oci.OciLayoutFetcher), registry.GetFetcher("oci").GetType()); // its own load context
    }
}
