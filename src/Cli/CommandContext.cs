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
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(environment.Out),
            Ansi = environment.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = environment.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Piped output must not wrap at a guessed 80 columns: scripts read it line by line.
        if (!environment.OutputIsTerminal) Console.Profile.Width = 1000;
    }

    public CliEnvironment Environment { get; }
    public string? StateDir { get; }
    public bool Json { get; }
    public bool Quiet { get; }
    public bool Verbose { get; }
    public string[] PluginsDirs { get; }

    /// <summary>Renders tables and text on stdout.</summary>
    public IAnsiConsole Console { get; }

    ImageCacheClient? client;

    /// <summary>The library client for the chosen state directory; notices go to stderr unless quiet.</summary>
    public ImageCacheClient Client => client ??= new ImageCacheClient(new ImageCacheOptions
    {
        StateDir = StateDir,
        OnNotice = Quiet ? null : message => Environment.Error.WriteLine($"imagecache: {message}"),
    });

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
