#!/usr/bin/env -S dotnet run --file
// Pulls every source listed in a file (one a line; blank lines and lines starting with # are skipped) and prints
// one line per source: "ok SOURCE -> BASELINE" or "failed SOURCE: WHY". Exits 1 if any pull failed.
//   dotnet run scripts/pull-list.cs -- FILE [--state-dir DIR] [--plugins-dir DIR]... [--builder NAME] [--format FORMAT]
// Plugins come from <state>/plugins, each --plugins-dir and $IMAGECACHE_PLUGINS (e.g. src/Cli/bin/Release/net10.0/plugins
// for the first-party ones). Needs the ImageCache packages in artifacts/packages: see docs/scripting.md.
#:package ImageCache.Host@0.1.0
#:property RestoreAdditionalProjectSources=$(MSBuildProjectDirectory)/../artifacts/packages
#:property PublishAot=false

using ImageCache.Host;
using ImageCache.Host.Operations;
using ImageCache.Host.Plugins;

if (OperatingSystem.IsWindows()) { Console.Error.WriteLine("error: ImageCache runs on Linux and macOS"); return 1; }

string? file = null, stateDir = null, builder = null, format = null;
var pluginDirs = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--state-dir" when i + 1 < args.Length: stateDir = args[++i]; break;
        case "--plugins-dir" when i + 1 < args.Length: pluginDirs.Add(args[++i]); break;
        case "--builder" when i + 1 < args.Length: builder = args[++i]; break;
        case "--format" when i + 1 < args.Length: format = args[++i]; break;
        case var arg when file is null && !arg.StartsWith("--", StringComparison.Ordinal): file = arg; break;
        default:
            Console.Error.WriteLine("usage: pull-list.cs FILE [--state-dir DIR] [--plugins-dir DIR]... [--builder NAME] [--format FORMAT]");
            return 2;
    }
}
if (file is null) { Console.Error.WriteLine("usage: pull-list.cs FILE [--state-dir DIR] [--plugins-dir DIR]... [--builder NAME] [--format FORMAT]"); return 2; }

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var client = new ImageCacheClient(new ImageCacheOptions { StateDir = stateDir, OnNotice = message => Console.Error.WriteLine(message) });
var directories = PluginCatalog.DefaultDirectories(AppContext.BaseDirectory, client.Layout.Root, pluginDirs,
    Environment.GetEnvironmentVariable("IMAGECACHE_PLUGINS"));

var failures = 0;
foreach (var line in File.ReadLines(file))
{
    var source = line.Trim();
    if (source.Length == 0 || source.StartsWith('#')) continue;
    try
    {
        var record = await client.PullAsync(new PullRequest(source, Builder: builder, Format: format, PluginDirectories: directories), null, cancel.Token);
        Console.WriteLine($"ok {source} -> {record.OutputPath}");
    }
    catch (ImageCacheException e)
    {
        failures++;
        Console.WriteLine($"failed {source}: {e.Message}");
    }
}
return failures == 0 ? 0 : 1;
