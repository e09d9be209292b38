using ImageCache.Host.Storage;

namespace ImageCache.Cli;

/// <summary>
/// Starts <see cref="IndexCodeWarmup"/> before the command line is even built when the command named in the
/// arguments reads or changes the index: the warm-up then runs beside the command line's own start-up rather than
/// beside the index scan, which it slowed (both allocate on a fresh heap). <c>--version</c> and a bare <c>--help</c> start
/// nothing. A wrong guess costs only idle CPU; a command this misses still starts the warm-up (once) when it makes
/// its client.
/// </summary>
internal static class EarlyWarmup
{
    static readonly HashSet<string> IndexCommands = new(StringComparer.Ordinal)
    {
        "pull", "list", "ls", "inspect", "tag", "push", "rm", "delete", "prune", "verify", "clone",
    };

    /// <summary>Options of the root command that take a value (the next argument is not the command).</summary>
    static readonly HashSet<string> ValueOptions = new(StringComparer.Ordinal) { "--state-dir", "--plugins-dir" };

    public static void StartFor(string[] args)
    {
        if (CommandName(args) is { } name && IndexCommands.Contains(name)) IndexCodeWarmup.Start();
    }

    internal static string? CommandName(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--") return null;
            if (ValueOptions.Contains(arg)) { i++; continue; }
            if (arg.StartsWith('-')) continue;
            return arg;
        }
        return null;
    }
}
