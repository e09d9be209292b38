using ImageCache.Contracts;
using ImageCache.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ImageCache.Host.Tests.Plugins;

public sealed class PluginRegistryTests
{
    [Fact]
    public async Task Registry_resolves_fetchers_and_builders_by_key()
    {
        var (_, provider) = FixturePlugins.Load(FixturePlugins.Root);
        var registry = provider.GetRequiredService<PluginRegistry>();

        var image = await registry.GetFetcher("fixture-good")
            .FetchAsync(new FetchRequest("a/b", null, new UnusedBlobStore(), false, null), CancellationToken.None);

        Assert.Equal("fixture-good:a/b#stamped-by-register", image.ResolvedReference);
        Assert.Equal("NullBuilder", registry.GetBuilder("fixture-null").GetType().Name);
        Assert.Equal(FixturePlugins.Good, registry.FindBuilder("fixture-null")?.PluginName);
        Assert.Null(registry.FindFetcher("fixture-null"));
    }

    [Fact]
    public void Unknown_transport_is_refused_with_the_known_transports_listed()
    {
        var (_, provider) = FixturePlugins.Load(FixturePlugins.Root);
        var registry = provider.GetRequiredService<PluginRegistry>();

        var error = Assert.Throws<PluginServiceNotFoundException>(() => registry.GetFetcher("docker"));

        Assert.Equal("no fetcher for transport 'docker'; known transports: fixture-clash, fixture-good, json13", error.Message);
    }

    [Fact]
    public void Unknown_builder_is_refused_with_the_known_builders_listed()
    {
        var (_, provider) = FixturePlugins.Load(FixturePlugins.Root);
        var registry = provider.GetRequiredService<PluginRegistry>();

        var error = Assert.Throws<PluginServiceNotFoundException>(() => registry.GetBuilder("ext4"));

        Assert.Equal("no builder named 'ext4'; known builders: fixture-clash-b, fixture-null, json12", error.Message);
    }

    [Fact]
    public void Without_plugins_the_refusal_says_none_are_known()
    {
        using var temp = new TemporaryDirectory();
        var (_, provider) = FixturePlugins.Load(temp.Path);

        var error = Assert.Throws<PluginServiceNotFoundException>(() => provider.GetRequiredService<PluginRegistry>().GetBuilder("ext4"));

        Assert.Equal("no builder named 'ext4'; known builders: (none; no plugin provides one)", error.Message);
    }

    [Fact]
    public void AddImageCachePlugins_registers_the_report_it_returns_and_one_registry()
    {
        var services = new ServiceCollection();
        services.AddImageCachePlugins([FixturePlugins.Root], out var report);
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.Same(report, provider.GetRequiredService<PluginLoadReport>());
        Assert.Same(provider.GetRequiredService<PluginRegistry>(), provider.GetRequiredService<PluginRegistry>());
        Assert.Same(report, provider.GetRequiredService<PluginRegistry>().Report);
    }
}
