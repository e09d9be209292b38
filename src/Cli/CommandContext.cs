using System.CommandLine;
using ImageCache.Host.Operations;
using Spectre.Console;

namespace ImageCache.Cli;

/// <summary>What a command handler needs: parsed global options, the streams, and a client for the state directory.</summary>
internal sealed class CommandContext
{
    public CommandContext(ParseResult parseResult, GlobalOptions globals, CliEnvironment environment)
    {
        Environment = environment;
        StateDir = parseResult.GetValue(globals.StateDir);
        Json = parseResult.GetValue(globals.Json);
        Quiet = parseResult.GetValue(globals.Quiet);
        Verbose = parseResult.GetValue(globals.Verbose);
        PluginsDirs = parseResult.GetValue(globals.PluginsDir) ?? [];
    }

    public CliEnvironment Environment { get; }
    public string? StateDir { get; }
    public bool Json { get; }
    public bool Quiet { get; }
    public bool Verbose { get; }
    public string[] PluginsDirs { get; }

    IAnsiConsole? console;

    /// <summary>Renders tables on a terminal. Created on first use: Spectre's start-up costs more than a whole `tag`.</summary>
    public IAnsiConsole Console => console ??= CreateConsole();

    IAnsiConsole CreateConsole()
    {
        var created = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Environment.Out),
            Ansi = Environment.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Environment.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Piped output must not wrap at a guessed 80 columns: scripts read it line by line.
        if (!Environment.OutputIsTerminal) created.Profile.Width = 1000;
        return created;
    }

    ImageCacheClient? client;

    /// <summary>The library client for the chosen state directory; notices go to stderr unless quiet.</summary>
    public ImageCacheClient Client => client ??= CreateClient();

    ImageCacheClient CreateClient()
    {
        // A command that makes a client almost always reads or changes the index: its code gets ready on the other
        // core meanwhile (once per process; EarlyWarmup has usually started it already).
        ImageCache.Host.Storage.IndexCodeWarmup.Start();
        return new ImageCacheClient(new ImageCacheOptions
        {
            StateDir = StateDir,
            OnNotice = Quiet ? null : message => Environment.Error.WriteLine($"imagecache: {message}"),
        });
    }

    /// <summary>Writes one JSON document (already serialised) followed by a newline.</summary>
    public void WriteJson(string json) => Environment.Out.WriteLine(json);

    /// <summary>Writes a line of plain text on stdout.</summary>
    public void WriteLine(string text = "") => Environment.Out.WriteLine(text);

    /// <summary>
    /// Asks before files are deleted: on a terminal, a [y/N] prompt on stderr; otherwise refuses unless --yes.
    /// Returns true to go on.
    /// </summary>
    public bool Confirm(string question, bool yes)
    {
        if (yes) return true;
        if (!Environment.InputIsTerminal)
            throw new Host.ImageCacheException(0, $"{question} pass --yes to confirm");
        Environment.Error.Write($"{question} [y/N] ");
        var answer = Environment.In.ReadLine()?.Trim().ToLowerInvariant();
        return answer is "y" or "yes";
    }
}
