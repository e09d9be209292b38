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
        foreach (var (name, folder) in Folders(entries))
        {
            entries.Add(LoadFolder(name, folder, services));
        }

        return new PluginLoadReport(Directories, entries);
    }

    /// <summary>
    /// The lazy form of <see cref="LoadInto"/> for commands that need one or two plugins (<c>pull</c>, <c>push</c>): the
    /// report is the same, but a plugin's assembly is loaded only when one of its services is asked for. What each
    /// folder provides comes from <paramref name="cacheFile"/> when the folder is unchanged since it was cached (same
    /// files, sizes and modification times, same host build); other folders are inspected (loaded) now and the cache is
    /// rewritten. Without a cache file every folder is inspected. Call once per catalog; dispose the registry.
    /// </summary>
    public PluginRegistry Open(string? cacheFile)
    {
        var cached = PluginCache.Read(cacheFile);
        var entries = new List<PluginLoadEntry>();
        var plugins = new List<LazyPluginServices.Plugin>();
        var descriptions = new List<PluginDescription>();
        var changed = false;
        List<PluginDescription>? unsaved = null;
        foreach (var (name, folder) in Folders(entries))
        {
            var assemblyPath = Path.Combine(folder, name + ".dll");
            if (Refuse(name, folder, assemblyPath) is { } refused)
            {
                entries.Add(refused);
                continue;
            }

            string fingerprint;
            try
            {
                fingerprint = PluginFingerprint.Of(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                entries.Add(PluginLoadEntry.Failed(name, assemblyPath, $"cannot read the plugin folder: {e.Message}"));
                continue;
            }

            InspectedPlugin? inspected = null;
            if (!cached.TryGetValue(folder, out var description) || description.Fingerprint != fingerprint
                || !string.Equals(description.AssemblyPath, assemblyPath, StringComparison.Ordinal))
            {
                (description, inspected) = Describe(name, folder, fingerprint, assemblyPath);
                changed = true;
                InspectedCount++;
            }

            descriptions.Add(description);
            if (description.Refusal is { } status)
            {
                entries.Add(new PluginLoadEntry(name, assemblyPath, status, description.Reason, [], []));
                continue;
            }

            try
            {
                var entry = Admit(name, assemblyPath, description.Fetchers.Select(f => f.Fetcher), description.Builders.Select(b => b.Builder));
                _loadedPluginPaths[name] = assemblyPath;
                entries.Add(entry);
                plugins.Add(new LazyPluginServices.Plugin(description, entry, inspected));
            }
            catch (PluginRefusedException refusal)
            {
                entries.Add(new PluginLoadEntry(name, assemblyPath, refusal.Status, refusal.Message, [], []));
            }
        }

        if (changed && cacheFile is not null)
        {
            // Keep what other processes cached for other folders (another --plugins-dir, $IMAGECACHE_PLUGINS) while they exist.
            var seen = descriptions.Select(d => d.Folder).ToHashSet(StringComparer.Ordinal);
            List<PluginDescription> toCache = [.. descriptions, .. cached.Values.Where(d => !seen.Contains(d.Folder) && Directory.Exists(d.Folder))];
            if (!PluginCache.Write(cacheFile, toCache)) unsaved = toCache; // e.g. no state directory yet: SaveCache writes it later
        }

        var report = new PluginLoadReport(Directories, entries);
        return new PluginRegistry(report, new LazyPluginServices(plugins, cacheFile, unsaved));
    }

    /// <summary>How many plugin folders <see cref="Open"/> inspected (loaded) instead of taking them from the cache.</summary>
    internal int InspectedCount { get; private set; }

    private static string NormalizeDirectory(string directory) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    /// <summary>Every plugin folder (name, path) in search order; directories that cannot be listed become failed entries.</summary>
    private IEnumerable<(string Name, string Folder)> Folders(List<PluginLoadEntry> entries)
    {
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
            foreach (var folder in folders)
            {
                yield return (Path.GetFileName(folder), folder);
            }
        }
    }

    /// <summary>The entry of a folder that is no plugin to inspect: no main assembly, or a plugin of that name already loaded.</summary>
    private PluginLoadEntry? Refuse(string name, string folder, string assemblyPath)
    {
        if (!File.Exists(assemblyPath))
        {
            return PluginLoadEntry.Skipped(name, folder, $"no {name}.dll in the folder");
        }

        return _loadedPluginPaths.TryGetValue(name, out var earlier)
            ? PluginLoadEntry.Skipped(name, assemblyPath, $"a plugin named {name} is already loaded from {earlier}")
            : null;
    }

    private PluginLoadEntry LoadFolder(string name, string folder, IServiceCollection services)
    {
        var assemblyPath = Path.Combine(folder, name + ".dll");
        if (Refuse(name, folder, assemblyPath) is { } refused)
        {
            return refused;
        }

        try
        {
            var plugin = Inspect(name, assemblyPath);
            var entry = Admit(name, assemblyPath, plugin.Fetchers.Select(f => f.Fetcher), plugin.Builders.Select(b => b.Builder));
            AddServices(plugin, entry, services);
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

    /// <summary>Inspects (loads) one plugin and describes it for the cache; a refusal is described too.</summary>
    private static (PluginDescription Description, InspectedPlugin? Inspected) Describe(string name, string folder, string fingerprint, string assemblyPath)
    {
        try
        {
            var plugin = Inspect(name, assemblyPath);
            var description = new PluginDescription(
                folder,
                fingerprint,
                assemblyPath,
                null,
                null,
                plugin.EntryPoints,
                [.. plugin.Fetchers.Select(f => (f.Fetcher, ImplementationType(f.Descriptor).FullName!))],
                [.. plugin.Builders.Select(b => (b.Builder, ImplementationType(b.Descriptor).FullName!))],
                [.. plugin.SupportingServices
                    .Where(d => d.ServiceType == typeof(IArtifactRegistry) && d.IsKeyedService && d.ServiceKey is string)
                    .Select(d => (string)d.ServiceKey!)]);
            return (description, plugin);
        }
        catch (PluginRefusedException refusal)
        {
            return (PluginDescription.Refused(folder, fingerprint, assemblyPath, refusal.Status, refusal.Message), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (PluginDescription.Refused(folder, fingerprint, assemblyPath, PluginLoadStatus.Failed,
                $"could not be loaded: {e.GetType().Name}: {e.Message}"), null);
        }
    }

    private static Type ImplementationType(ServiceDescriptor descriptor) =>
        descriptor.IsKeyedService ? descriptor.KeyedImplementationType! : descriptor.ImplementationType!;

    /// <summary>Copies a plugin's supporting services and its admitted fetchers and builders into <paramref name="services"/>.</summary>
    internal static void AddServices(InspectedPlugin plugin, PluginLoadEntry entry, IServiceCollection services)
    {
        foreach (var descriptor in plugin.SupportingServices)
        {
            services.Add(descriptor);
        }

        foreach (var (descriptor, fetcher) in plugin.Fetchers)
        {
            if (entry.Fetchers.Contains(fetcher)) services.Add(descriptor);
        }

        foreach (var (descriptor, builder) in plugin.Builders)
        {
            if (entry.Builders.Contains(builder)) services.Add(descriptor);
        }
    }

    private static InspectedPlugin Inspect(string name, string assemblyPath)
    {
        var assembly = LoadAssembly(assemblyPath);
        CheckContractReference(assembly);
        var types = GetTypes(assembly);

        var staging = new ServiceCollection();
        var entryPoints = types.Where(IsConcreteImplementationOf<IImageCachePlugin>).ToList();
        foreach (var entryPoint in entryPoints)
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

        return new InspectedPlugin(name, assemblyPath, [.. entryPoints.Select(t => t.FullName!)], [.. staging], fetchers, builders);
    }

    /// <summary>
    /// Admits a validated plugin's keys that no earlier plugin provides; the entry lists what was admitted and names
    /// what was refused. A plugin left with nothing fails.
    /// </summary>
    private PluginLoadEntry Admit(string name, string assemblyPath, IEnumerable<FetcherDescriptor> offeredFetchers, IEnumerable<BuilderDescriptor> offeredBuilders)
    {
        var refusals = new List<string>();
        var fetchers = new List<FetcherDescriptor>();
        foreach (var candidate in offeredFetchers)
        {
            if (_transportOwners.TryGetValue(candidate.Transport, out var owner))
            {
                refusals.Add($"transport '{candidate.Transport}' already provided by plugin {owner}");
            }
            else
            {
                fetchers.Add(candidate);
            }
        }

        var builders = new List<BuilderDescriptor>();
        foreach (var candidate in offeredBuilders)
        {
            if (_builderOwners.TryGetValue(candidate.Name, out var owner))
            {
                refusals.Add($"builder '{candidate.Name}' already provided by plugin {owner}");
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

        foreach (var fetcher in fetchers)
        {
            _transportOwners.Add(fetcher.Transport, name);
        }

        foreach (var builder in builders)
        {
            _builderOwners.Add(builder.Name, name);
        }

        return new PluginLoadEntry(
            name,
            assemblyPath,
            PluginLoadStatus.Loaded,
            refusals.Count == 0 ? null : string.Join("; ", refusals),
            fetchers,
            builders);
    }
}
