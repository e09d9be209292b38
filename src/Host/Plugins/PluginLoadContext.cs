using System.Reflection;
using System.Runtime.Loader;

namespace ImageCache.Host.Plugins;

/// <summary>
/// The load context of one plugin folder: the plugin's own dependencies resolve from its <c>deps.json</c> (or its
/// folder) through the runtime's <see cref="AssemblyDependencyResolver"/>; only the shared contract assemblies (and
/// what they reference) resolve to the host's copies; anything the plugin does not carry falls back to the host.
/// </summary>
/// <remarks>
/// This replaces McMaster.NETCore.Plugins' loader, which resolves the same way but reads the plugin's
/// <c>runtimeconfig.json</c> with reflection-based System.Text.Json and its <c>deps.json</c> with DependencyModel
/// in managed code: about 30 ms of a CLI start-up, for the first plugin alone (bench/README.md, "Warm pull").
/// The runtime's resolver reads the same files natively.
/// </remarks>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly HashSet<string> _shared;

    public PluginLoadContext(string mainAssemblyPath, IReadOnlySet<string> sharedAssemblyNames)
        : base(Path.GetFileNameWithoutExtension(mainAssemblyPath), isCollectible: false)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _shared = [.. sharedAssemblyNames];
    }

    /// <summary>The names of the assemblies of <paramref name="sharedTypes"/> and of the assemblies they reference directly.</summary>
    public static IReadOnlySet<string> SharedAssemblyNames(IEnumerable<Type> sharedTypes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var assembly in sharedTypes.Select(t => t.Assembly).Distinct())
        {
            names.Add(assembly.GetName().Name!);
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is { } name) names.Add(name);
            }
        }

        return names;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } name && _shared.Contains(name)) return null; // the host's copy
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
