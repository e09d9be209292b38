using System.Reflection;
using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Plugins;

/// <summary>
/// The services of admitted plugins, each plugin loaded only when one of its services is first asked for
/// (<see cref="PluginCatalog.Open"/>), into a container of its own: its entry points' registrations and its admitted
/// fetchers and builders. A plugin that the cache described but that no longer loads is reported by the request that
/// needed it, and its cache entry is dropped so that the next process inspects it again.
/// </summary>
internal sealed class LazyPluginServices(IReadOnlyList<LazyPluginServices.Plugin> plugins, string? cacheFile, List<PluginDescription>? unsaved)
    : IPluginServices
{
    /// <summary>An admitted plugin: its description, its report entry, and its inspection when this process made one.</summary>
    internal sealed record Plugin(PluginDescription Description, PluginLoadEntry Entry, InspectedPlugin? Inspected);

    private readonly Dictionary<string, ServiceProvider> _loaded = new(StringComparer.Ordinal);

    /// <summary>The plugins loaded so far, in the order they were loaded.</summary>
    internal List<string> LoadedNames { get; } = [];

    public IImageFetcher Fetcher(FetcherDescriptor fetcher) =>
        Load(Owner(fetcher.PluginName), $"transport '{fetcher.Transport}'").GetRequiredKeyedService<IImageFetcher>(fetcher.Transport);

    public IFilesystemBuilder Builder(BuilderDescriptor builder) =>
        Load(Owner(builder.PluginName), $"builder '{builder.Name}'").GetRequiredKeyedService<IFilesystemBuilder>(builder.Name);

    public IArtifactRegistry? ArtifactRegistry(string key)
    {
        // As in one container, the last registration wins.
        var provider = plugins.LastOrDefault(p => p.Description.ArtifactRegistries.Contains(key, StringComparer.Ordinal));
        return provider is null ? null : Load(provider, $"registry artifacts '{key}'").GetKeyedService<IArtifactRegistry>(key);
    }

    public void SaveCache()
    {
        if (cacheFile is null || unsaved is null) return;
        if (PluginCache.Write(cacheFile, unsaved)) unsaved = null;
    }

    public void Dispose()
    {
        lock (_loaded)
        {
            foreach (var provider in _loaded.Values) provider.Dispose();
            _loaded.Clear();
        }
    }

    private Plugin Owner(string pluginName) => plugins.First(p => string.Equals(p.Entry.Name, pluginName, StringComparison.Ordinal));

    private ServiceProvider Load(Plugin plugin, string wanted)
    {
        lock (_loaded) return LoadOnce(plugin, wanted); // callers may ask from several threads; a plugin is loaded once
    }

    private ServiceProvider LoadOnce(Plugin plugin, string wanted)
    {
        if (_loaded.TryGetValue(plugin.Entry.Name, out var loaded)) return loaded;
        var services = new ServiceCollection();
        try
        {
            if (plugin.Inspected is { } inspected) PluginCatalog.AddServices(inspected, plugin.Entry, services);
            else Register(plugin, services);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Forget(plugin.Description);
            var reason = e is PluginRefusedException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            throw new PluginServiceNotFoundException(
                $"plugin {plugin.Entry.Name} provides {wanted} but could not be loaded: {reason} (run `imagecache plugins` to see every plugin's state)");
        }

        var provider = services.BuildServiceProvider();
        _loaded.Add(plugin.Entry.Name, provider);
        LoadedNames.Add(plugin.Entry.Name);
        return provider;
    }

    /// <summary>What <see cref="PluginCatalog.LoadInto"/> would register for the plugin, from its cached description.</summary>
    private static void Register(Plugin plugin, IServiceCollection services)
    {
        var assembly = PluginCatalog.LoadAssembly(plugin.Description.AssemblyPath);
        PluginCatalog.CheckContractReference(assembly);
        foreach (var entryPoint in plugin.Description.EntryPoints)
        {
            PluginCatalog.Register(TypeOf(assembly, entryPoint), services);
        }

        foreach (var (fetcher, typeName) in plugin.Description.Fetchers)
        {
            if (plugin.Entry.Fetchers.Contains(fetcher)) services.AddKeyedSingleton(typeof(IImageFetcher), fetcher.Transport, TypeOf(assembly, typeName));
        }

        foreach (var (builder, typeName) in plugin.Description.Builders)
        {
            if (plugin.Entry.Builders.Any(b => string.Equals(b.Name, builder.Name, StringComparison.Ordinal)))
                services.AddKeyedSingleton(typeof(IFilesystemBuilder), builder.Name, TypeOf(assembly, typeName));
        }
    }

    private static Type TypeOf(Assembly assembly, string fullName) =>
        assembly.GetType(fullName, throwOnError: false) ?? throw PluginRefusedException.Failed($"{assembly.GetName().Name} has no type {fullName}");

    /// <summary>Drops a description that turned out wrong, so that the next process inspects the folder again.</summary>
    private void Forget(PluginDescription description)
    {
        if (cacheFile is null) return;
        var cached = PluginCache.Read(cacheFile);
        if (cached.Remove(description.Folder)) PluginCache.Write(cacheFile, cached.Values);
    }
}
