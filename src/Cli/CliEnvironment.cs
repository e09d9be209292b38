namespace ImageCache.Cli;

/// <summary>The process's streams and terminal facts, injectable so tests can run the CLI in-process.</summary>
/// <param name="Out">Standard output: results only.</param>
/// <param name="Error">Standard error: progress, warnings, errors.</param>
/// <param name="In">Standard input (confirmation answers).</param>
/// <param name="InputIsTerminal">Whether a person can answer a prompt.</param>
/// <param name="OutputIsTerminal">Whether stdout is a terminal (colours, widths).</param>
/// <param name="ErrorIsTerminal">Whether stderr is a terminal (live progress bars rather than a line per phase).</param>
internal sealed record CliEnvironment(TextWriter Out, TextWriter Error, TextReader In, bool InputIsTerminal, bool OutputIsTerminal, bool ErrorIsTerminal = false)
{
    /// <summary>The real console.</summary>
    public static CliEnvironment FromConsole() =>
        new(Console.Out, Console.Error, Console.In, !Console.IsInputRedirected, !Console.IsOutputRedirected, !Console.IsErrorRedirected);
}
