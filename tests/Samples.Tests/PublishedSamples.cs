namespace ImageCache.Samples.Tests;

/// <summary>
/// The two sample plugins, published once per test run exactly as docs/plugins.md tells a plugin author to:
/// <c>dotnet publish samples/plugins/NAME -c Release -o PLUGINS/NAME</c>, in a child process.
/// </summary>
public sealed class PublishedSamples : IDisposable
{
    public const string HttpTarball = "ImageCache.Samples.HttpTarball";
    public const string Erofs = "ImageCache.Samples.Erofs";

    readonly string root = Directory.CreateTempSubdirectory("imagecache-samples-").FullName;

    public PublishedSamples()
    {
        PluginsDir = Path.Combine(root, "plugins");
        foreach (var name in new[] { HttpTarball, Erofs })
        {
            var result = Tool.RunAsync(Tool.Dotnet,
                ["publish", Path.Combine(Tool.RepoRoot, "samples", "plugins", name), "-c", "Release", "-o", Path.Combine(PluginsDir, name), "-nologo"],
                timeout: TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
            if (result.ExitCode != 0) throw new InvalidOperationException($"dotnet publish {name} failed: {result}");
        }
    }

    /// <summary>A plugins directory holding exactly the two published samples.</summary>
    public string PluginsDir { get; }

    /// <summary>src/Cli's own output folder, where build/PublishPlugins.targets puts the first-party plugins (ext4 among them).</summary>
    public static string FirstPartyPluginsDir
    {
        get
        {
            var dir = Path.Combine(Path.GetDirectoryName(Tool.CliDll)!, "plugins");
            if (Directory.Exists(Path.Combine(dir, "ImageCache.Builders.Ext4"))) return dir;
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var cliOutput = Path.Combine(Tool.RepoRoot, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name, "plugins");
            if (!Directory.Exists(Path.Combine(cliOutput, "ImageCache.Builders.Ext4"))) Assert.Fail($"{cliOutput} holds no published plugins; build src/Cli");
            return cliOutput;
        }
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class SamplesCollection : ICollectionFixture<PublishedSamples>
{
    public const string Name = "published samples";
}
