using System.CommandLine;

namespace ImageCache.Cli;

/// <summary>Options every command accepts (they may appear before or after the command).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> StateDir { get; } = new("--state-dir")
    {
        Description = "State directory (default: $IMAGECACHE_STATE_DIR, else ~/.imagecache)",
        HelpName = "DIR",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print exactly one JSON document on stdout",
        Recursive = true,
    };

    public Option<string[]> PluginsDir { get; } = new("--plugins-dir")
    {
        Description = "Also load plugins from DIR (repeatable; $IMAGECACHE_PLUGINS adds a colon-separated list)",
        HelpName = "DIR",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Print nothing but the result and errors",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Print more detail, including stack traces of unexpected errors",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(StateDir);
        command.Options.Add(Json);
        command.Options.Add(PluginsDir);
        command.Options.Add(Quiet);
        command.Options.Add(Verbose);
    }
}
