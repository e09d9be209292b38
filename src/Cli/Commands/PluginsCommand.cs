using System.CommandLine;
using ImageCache.Cli.Rendering;
using ImageCache.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache plugins</c>: the load report, one row per plugin folder found.</summary>
internal static class PluginsCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var command = new Command("plugins", "List plugins: loaded, skipped or failed (with why), and the transports and builders they provide");
        command.SetAction((parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var report = LoadPlugins(context);
            if (context.Json) context.WriteJson(JsonOutput.Plugins(report));
            else
            {
                var table = new TextTable("PLUGIN", "STATUS", "PROVIDES", "DETAIL");
                foreach (var entry in report.Entries)
                {
                    var provides = entry.Fetchers.Select(f => $"{f.Transport}:").Concat(entry.Builders.Select(b => $"builder {b.Name} ({b.Format})"));
                    table.Add(entry.Name, entry.Status.ToString().ToLowerInvariant(), string.Join(", ", provides), entry.Reason ?? entry.Path);
                }
                if (report.Entries.Count == 0) context.WriteLine($"No plugins found in: {string.Join(", ", report.Directories)}");
                else table.Write(context);
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    /// <summary>Loads plugins from DESIGN §7's folders: beside the CLI, the state directory, --plugins-dir and $IMAGECACHE_PLUGINS.</summary>
    public static PluginLoadReport LoadPlugins(CommandContext context)
    {
        var directories = PluginCatalog.DefaultDirectories(AppContext.BaseDirectory, context.Client.Layout.Root,
            context.PluginsDirs, Environment.GetEnvironmentVariable("IMAGECACHE_PLUGINS"));
        new ServiceCollection().AddImageCachePlugins(directories, out var report);
        return report;
    }
}
