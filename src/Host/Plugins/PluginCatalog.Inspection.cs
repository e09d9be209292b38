using System.Reflection;
using System.Text.RegularExpressions;
using ImageCache.Contracts;
using McMaster.NETCore.Plugins.Loader;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Plugins;

public sealed partial class PluginCatalog
{
    // Scrutor needs a key for every class it registers; this one marks a class without the attribute,
    // which is then refused with a proper message instead of being registered.
    private static readonly object UndeclaredKey = new();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex KeyPattern();

    internal static Assembly LoadAssembly(string assemblyPath)
    {
        try
        {
            // One McMaster load context per folder, resolving through the plugin's deps.json; only the contract
            // assemblies are shared with the host (PreferSharedTypes off). Built with McMaster's builder rather than
            // PluginLoader, which also reads the host's runtimeconfig.json with reflection-based System.Text.Json for
            // probing paths a published plugin never has (~30 ms of every start-up).
            var builder = new AssemblyLoadContextBuilder();
            builder.SetMainAssemblyPath(assemblyPath);
            foreach (var shared in SharedTypes.Select(type => type.Assembly).Distinct())
                builder.PreferDefaultLoadContextAssembly(shared.GetName());
            return builder.Build().LoadFromAssemblyPath(assemblyPath);
        }
        catch (BadImageFormatException)
        {
            throw PluginRefusedException.Skipped($"{Path.GetFileName(assemblyPath)} is not a .NET assembly");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            throw PluginRefusedException.Failed($"could not load {Path.GetFileName(assemblyPath)}: {e.Message}");
        }
    }

    internal static void CheckContractReference(Assembly assembly)
    {
        var reference = assembly.GetReferencedAssemblies().FirstOrDefault(r => r.Name == ContractsAssembly.Name);
        if (reference is null)
        {
            throw PluginRefusedException.Skipped($"not an ImageCache plugin: it does not reference {ContractsAssembly.Name}");
        }

        if (reference.Version?.Major != ContractsAssembly.Version?.Major)
        {
            throw PluginRefusedException.Failed(
                $"built against {ContractsAssembly.Name} {reference.Version}; this host has {ContractsAssembly.Version}");
        }

        ImageCachePluginAttribute? marker;
        try
        {
            marker = assembly.GetCustomAttribute<ImageCachePluginAttribute>();
        }
        catch (Exception e) when (e is TypeLoadException or FileNotFoundException or FileLoadException)
        {
            throw PluginRefusedException.Failed($"could not read its assembly attributes: {e.Message}");
        }

        if (marker is null)
        {
            throw PluginRefusedException.Failed(
                $"references {ContractsAssembly.Name} but has no [assembly: ImageCachePlugin(PluginContract.Version)]");
        }

        if (marker.ContractVersion != PluginContract.Version)
        {
            throw PluginRefusedException.Failed(
                $"built against plugin contract v{marker.ContractVersion}; this host implements v{PluginContract.Version}");
        }
    }

    private static Type[] GetTypes(Assembly assembly)
    {
        // Scrutor swallows type-load errors and would quietly find nothing; asking first surfaces them.
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            var first = e.LoaderExceptions.FirstOrDefault(x => x is not null);
            throw PluginRefusedException.Failed($"could not load its types: {first?.Message ?? e.Message}");
        }
    }

    private static bool IsConcreteImplementationOf<TService>(Type type) =>
        type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && typeof(TService).IsAssignableFrom(type);

    internal static void Register(Type entryPointType, IServiceCollection staging)
    {
        IImageCachePlugin entryPoint;
        try
        {
            entryPoint = (IImageCachePlugin)Activator.CreateInstance(entryPointType)!;
        }
        catch (Exception e)
        {
            throw PluginRefusedException.Failed($"could not create {entryPointType.FullName}: {Innermost(e).Message}");
        }

        try
        {
            entryPoint.Register(staging);
        }
        catch (Exception e)
        {
            throw PluginRefusedException.Failed($"threw while registering: {Innermost(e).Message}");
        }
    }

    private static Exception Innermost(Exception e) =>
        e is TargetInvocationException { InnerException: { } inner } ? Innermost(inner) : e;

    private static List<(ServiceDescriptor Descriptor, TAttribute Attribute)> Declared<TService, TAttribute>(
        IServiceCollection scanned, IEnumerable<Type> types, string attributeName, Func<TAttribute, string> keyOf, string keyKind)
        where TAttribute : Attribute
    {
        var declared = new List<(ServiceDescriptor Descriptor, TAttribute Attribute)>();
        var declaringType = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var descriptor in scanned.Where(d => d.ServiceType == typeof(TService)))
        {
            var type = descriptor.IsKeyedService ? descriptor.KeyedImplementationType! : descriptor.ImplementationType!;
            var attribute = type.GetCustomAttribute<TAttribute>();
            if (attribute is null || ReferenceEquals(descriptor.ServiceKey, UndeclaredKey))
            {
                throw PluginRefusedException.Failed(
                    $"{type.FullName} implements {typeof(TService).Name} but has no [{attributeName}] attribute");
            }

            var key = keyOf(attribute);
            if (!KeyPattern().IsMatch(key))
            {
                throw PluginRefusedException.Failed(
                    $"{type.FullName} declares {keyKind} '{key}'; use lowercase letters, digits and '-'");
            }

            if (declaringType.TryGetValue(key, out var other))
            {
                throw PluginRefusedException.Failed($"{keyKind} '{key}' is declared by both {other.FullName} and {type.FullName}");
            }

            declaringType.Add(key, type);
            declared.Add((descriptor, attribute));
        }

        var misplaced = types.FirstOrDefault(t => t.IsDefined(typeof(TAttribute), inherit: false) && !declaringType.ContainsValue(t));
        if (misplaced is not null)
        {
            throw PluginRefusedException.Failed(
                $"{misplaced.FullName} has [{attributeName}] but is not a concrete class implementing {typeof(TService).Name}");
        }

        return declared;
    }

    private static BuilderDescriptor ToDescriptor(BuilderAttribute attribute, string pluginName) =>
        new(
            attribute.Name,
            attribute.Format,
            attribute.Extension ?? attribute.Format,
            [.. attribute.RequiredTools],
            [.. attribute.HostOperatingSystems],
            attribute.Description,
            pluginName);
}
