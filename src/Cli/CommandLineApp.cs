using System.CommandLine;
using System.CommandLine.Help;
using ImageCache.Cli.Commands;
using ImageCache.Host;

namespace ImageCache.Cli;

/// <summary>Builds the command tree and runs it: one <c>error: …</c> line and exit 1 for failures, exit 2 for usage errors.</summary>
internal static class CommandLineApp
{
    public static RootCommand Build(CliEnvironment environment)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("imagecache: turn container images into sealed root-filesystem baselines for microVMs, and keep an index of them.");
        globals.AddTo(root);
        root.Subcommands.Add(PullCommand.Create(globals, environment));
        root.Subcommands.Add(ListCommand.Create(globals, environment));
        root.Subcommands.Add(InspectCommand.Create(globals, environment));
        root.Subcommands.Add(TagCommand.Create(globals, environment));
        root.Subcommands.Add(PushCommand.Create(globals, environment));
        root.Subcommands.Add(RemoveCommand.Create(globals, environment));
        root.Subcommands.Add(PruneCommand.Create(globals, environment));
        root.Subcommands.Add(VerifyCommand.Create(globals, environment));
        root.Subcommands.Add(CloneCommand.Create(globals, environment));
        root.Subcommands.Add(PluginsCommand.Create(globals, environment));
        return root;
    }

    /// <summary>
    /// Parses and runs one command. <paramref name="cancellationToken"/> is the interruption (Program ties it to SIGINT
    /// and SIGTERM); when it has fired, whatever the command threw is reported as one <c>error: cancelled</c> line and
    /// the exit code is <paramref name="cancelledExitCode"/> (default 130).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default, Func<int>? cancelledExitCode = null)
    {
        var root = Build(environment);
        // A bare `imagecache` shows help rather than doing anything (checked before the parse errors: with no
        // arguments the parser reports "Required command was not provided").
        var parseResult = root.Parse(args.Length == 0 ? ["--help"] : args);
        var verbose = args.Contains("-v") || args.Contains("--verbose");
        if (parseResult.Errors.Count > 0 && parseResult.Action is not HelpAction)
        {
            // The original's flag was --delete; it is --purge now (origin §5.5), so say so.
            var hint = args.Contains("--delete") ? " (--delete is now --purge)" : "";
            environment.Error.WriteLine($"error: {parseResult.Errors[0].Message}{hint}");
            environment.Error.WriteLine($"Run '{CommandPath(parseResult)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parseResult.InvokeAsync(new InvocationConfiguration
            {
                Output = environment.Out,
                Error = environment.Error,
                EnableDefaultExceptionHandler = false,
                // System.CommandLine's own handler would exit 2 s after a signal, cutting a pull's clean-up short;
                // Program handles SIGINT/SIGTERM itself (TerminationSignals) and cancels cancellationToken instead.
                ProcessTerminationTimeout = null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Whatever the interruption surfaced as (a cancelled wait, a lock wait given up, a tool stopped mid-write).
            environment.Error.WriteLine("error: cancelled");
            return cancelledExitCode?.Invoke() ?? ExitCodes.Cancelled;
        }
        catch (ImageCacheException e)
        {
            environment.Error.WriteLine($"error: {OneLine(e.Message)}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            environment.Error.WriteLine("error: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            environment.Error.WriteLine($"error: {OneLine(e.Message)}");
            if (verbose) environment.Error.WriteLine(e.ToString());
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            environment.Error.WriteLine($"error: internal error ({e.GetType().Name}): {OneLine(e.Message)}");
            if (verbose) environment.Error.WriteLine(e.ToString());
            return ExitCodes.Failed;
        }
    }

    static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, result.Command is RootCommand ? "imagecache" : result.Command.Name);
        return string.Join(' ', names);
    }

    static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
