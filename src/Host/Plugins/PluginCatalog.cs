using System.Reflection;
using ImageCache.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Plugins;

/// <summary>
/// Finds plugins (<c>&lt;directory&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c>), loads each in its own load context,
/// validates it and registers its fetchers and builders, keyed by transport and builder name.
/// </summary>
/// <remarks>
/// Directories are searched in the order given and the plugin folders of each in ordinal order. A key
/// already provided by an earlier plugin is refused, never overridden. A broken plugin is reported and
/// never stops the others; nothing of a plugin reaches the container unless it validated.
/// </remarks>
public sealed partial class PluginCatalog
{
    // Only the contract assembly and DI.Abstractions (which the contract exposes) are unified with the host.
    // PreferSharedTypes is deliberately off: it makes every assembly the host happens to have (e.g. its
    // Newtonsoft.Json) win over the plugin's own copy, which breaks plugins built against another version.
    private static readonly Type[] SharedTypes =
    [
        typeof(IImageFetcher),
        typeof(IFilesystemBuilder),
        typeof(IImageCachePlugin),
        typeof(ImageCachePluginAttribute),
        typeof(IServiceCollection),
    ];

    private static readonly IReadOnlySet<string> SharedAssemblyNames = PluginLoadContext.SharedAssemblyNames(SharedTypes);

    private static readonly AssemblyName ContractsAssembly = typeof(PluginContract).Assembly.GetName();

    private readonly Dictionary<string, string> _transportOwners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _builderOwners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _loadedPluginPaths = new(StringComparer.Ordinal);

    /// <summary>Creates a catalog over <paramref name="directories"/>, searched in that order.</summary>
    public PluginCatalog(IEnumerable<string> directories)
    {
        Directories = [.. directories.Select(NormalizeDirectory).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The plugin directories, absolute, in search order, without duplicates.</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>
    /// The plugin directories of DESIGN §7, in search order: <c>plugins/</c> beside the application, then
    /// <c>&lt;state&gt;/plugins/</c>, then each <c>--plugins-dir</c>, then each entry of <c>$IMAGECACHE_PLUGINS</c>
    /// (colon-separated; empty entries ignored). Duplicates are dropped, keeping the first.
    /// </summary>
    public static IReadOnlyList<string> DefaultDirectories(
        string appBaseDir, string stateDir, IEnumerable<string> extraDirs, string? envValue)
    {
        IEnumerable<string> all =
        [
            Path.Combine(appBaseDir, "plugins"),
            Path.Combine(stateDir, "plugins"),
            .. extraDirs,
            .. (envValue ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        ];
        return [.. all.Select(NormalizeDirectory).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Loads every plugin and copies the registrations of the valid ones into <paramref name="services"/>.
    /// Call once per catalog.
    /// </summary>
    public PluginLoadReport LoadInto(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var entries = new List<PluginLoadEntry>();
        foreach (var directory in Directories)
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            string[] folders;
            try
            {
                folders = Directory.GetDirectories(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                entries.Add(PluginLoadEntry.Failed(Path.GetFileName(directory), directory, $"cannot list plugin directory: {e.Message}"));
                continue;
            }

            Array.Sort(folders, StringComparer.Ordinal);
            entries.AddRange(folders.Select(folder => LoadFolder(folder, services)));
        }

        return new PluginLoadReport(Directories, entries);
    }

    private static string NormalizeDirectory(string directory) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    private PluginLoadEntry LoadFolder(string folder, IServiceCollection services)
    {
        var name = Path.GetFileName(folder);
        var assemblyPath = Path.Combine(folder, name + ".dll");
        if (!File.Exists(assemblyPath))
        {
            return PluginLoadEntry.Skipped(name, folder, $"no {name}.dll in the folder");
        }

        if (_loadedPluginPaths.TryGetValue(name, out var earlier))
        {
            return PluginLoadEntry.Skipped(name, assemblyPath, $"a plugin named {name} is already loaded from {earlier}");
        }

        try
        {
            var plugin = Inspect(name, assemblyPath);
            var entry = Admit(plugin, services);
            _loadedPluginPaths[name] = assemblyPath;
            return entry;
        }
        catch (PluginRefusedException refusal)
        {
            return new PluginLoadEntry(name, assemblyPath, refusal.Status, refusal.Message, [], []);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever else a plugin makes the loader or the scanner throw, it must not stop the plugins after it.
            return PluginLoadEntry.Failed(name, assemblyPath, $"could not be loaded: {e.GetType().Name}: {e.Message}");
        }
    }

    private static InspectedPlugin Inspect(string name, string assemblyPath)
    {
        var assembly = LoadAssembly(assemblyPath);
        CheckContractReference(assembly);
        var types = GetTypes(assembly);

        var staging = new ServiceCollection();
        foreach (var entryPoint in types.Where(IsConcreteImplementationOf<IImageCachePlugin>))
        {
            Register(entryPoint, staging);
        }

        if (staging.Any(d => d.ServiceType == typeof(IImageFetcher) || d.ServiceType == typeof(IFilesystemBuilder)))
        {
            throw PluginRefusedException.Failed(
                "registers IImageFetcher or IFilesystemBuilder itself in Register; mark the classes with [Fetcher] or [Builder] instead");
        }

        var scanned = new ServiceCollection();
        scanned.Scan(scan => scan.FromAssemblies(assembly)
            .AddClasses(classes => classes.AssignableTo<IImageFetcher>(), publicOnly: false)
            .As<IImageFetcher>()
            .WithServiceKey(type => type.GetCustomAttribute<FetcherAttribute>()?.Transport ?? UndeclaredKey)
            .WithSingletonLifetime()
            .AddClasses(classes => classes.AssignableTo<IFilesystemBuilder>(), publicOnly: false)
            .As<IFilesystemBuilder>()
            .WithServiceKey(type => type.GetCustomAttribute<BuilderAttribute>()?.Name ?? UndeclaredKey)
            .WithSingletonLifetime());

        var fetchers = Declared<IImageFetcher, FetcherAttribute>(scanned, types, "Fetcher", a => a.Transport, "transport")
            .Select(d => (d.Descriptor, Fetcher: new FetcherDescriptor(d.Attribute.Transport, d.Attribute.Description, name)))
            .ToList();
        var builders = Declared<IFilesystemBuilder, BuilderAttribute>(scanned, types, "Builder", a => a.Name, "builder")
            .Select(d => (d.Descriptor, Builder: ToDescriptor(d.Attribute, name)))
            .ToList();

        if (fetchers.Count == 0 && builders.Count == 0)
        {
            throw PluginRefusedException.Failed("provides no fetcher and no builder");
        }

        return new InspectedPlugin(name, assemblyPath, [.. staging], fetchers, builders);
    }

    private PluginLoadEntry Admit(InspectedPlugin plugin, IServiceCollection services)
    {
        var refusals = new List<string>();
        var fetchers = new List<(ServiceDescriptor Descriptor, FetcherDescriptor Fetcher)>();
        foreach (var candidate in plugin.Fetchers)
        {
            if (_transportOwners.TryGetValue(candidate.Fetcher.Transport, out var owner))
            {
                refusals.Add($"transport '{candidate.Fetcher.Transport}' already provided by plugin {owner}");
            }
            else
            {
                fetchers.Add(candidate);
            }
        }

        var builders = new List<(ServiceDescriptor Descriptor, BuilderDescriptor Builder)>();
        foreach (var candidate in plugin.Builders)
        {
            if (_builderOwners.TryGetValue(candidate.Builder.Name, out var owner))
            {
                refusals.Add($"builder '{candidate.Builder.Name}' already provided by plugin {owner}");
            }
            else
            {
                builders.Add(candidate);
            }
        }

        if (fetchers.Count == 0 && builders.Count == 0)
        {
            throw PluginRefusedException.Failed(string.Join("; ", refusals));
        }

        foreach (var descriptor in plugin.SupportingServices)
        {
            services.Add(descriptor);
        }

        foreach (var (descriptor, fetcher) in fetchers)
        {
            services.Add(descriptor);
            _transportOwners.Add(fetcher.Transport, plugin.Name);
        }

        foreach (var (descriptor, builder) in builders)
        {
            services.Add(descriptor);
            _builderOwners.Add(builder.Name, plugin.Name);
        }

        return new PluginLoadEntry(
            plugin.Name,
            plugin.AssemblyPath,
            PluginLoadStatus.Loaded,
            refusals.Count == 0 ? null : string.Join("; ", refusals),
            [.. fetchers.Select(f => f.Fetcher)],
            [.. builders.Select(b => b.Builder)]);
    }
}
