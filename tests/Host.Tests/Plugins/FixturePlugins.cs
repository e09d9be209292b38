using ImageCache.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Tests.Plugins;

/// <summary>The fixture plugins that FixturePlugins.targets publishes beside the tests.</summary>
internal static class FixturePlugins
{
    public const string Good = "ImageCache.Fixtures.Good";
    public const string NewtonsoftThirteen = "ImageCache.Fixtures.NewtonsoftThirteen";
    public const string NewtonsoftTwelve = "ImageCache.Fixtures.NewtonsoftTwelve";
    public const string ThrowsInRegister = "ImageCache.Fixtures.ThrowsInRegister";
    public const string WrongContract = "ImageCache.Fixtures.WrongContract";
    public const string MissingDependency = "ImageCache.Fixtures.MissingDependency";
    public const string ClashA = "ImageCache.Fixtures.ClashA";
    public const string ClashB = "ImageCache.Fixtures.ClashB";
    public const string Unmarked = "ImageCache.Fixtures.Unmarked";
    public const string MisplacedAttribute = "ImageCache.Fixtures.MisplacedAttribute";

    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "fixture-plugins");

    public static string Folder(string name) => Path.Combine(Root, name);

    /// <summary>Copies the published fixture <paramref name="name"/> into <c>root/name/</c>.</summary>
    public static void CopyInto(string root, string name)
    {
        var source = Folder(name);
        var target = Path.Combine(root, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    /// <summary>Loads <paramref name="roots"/> the way the CLI does and builds a validated container.</summary>
    public static (PluginLoadReport Report, ServiceProvider Provider) Load(params string[] roots)
    {
        var services = new ServiceCollection();
        services.AddImageCachePlugins(roots, out var report);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return (report, provider);
    }

    public static PluginLoadEntry Entry(this PluginLoadReport report, string name) =>
        report.Entries.Single(e => e.Name == name);
}
