using System.CommandLine;
using ImageCache.Cli.Rendering;
using ImageCache.Host.Operations;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache verify [REF]</c>.</summary>
internal static class VerifyCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var reference = new Argument<string?>("REF") { Description = "Only the records this names (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("verify", "Re-hash sealed baselines: ok, missing, modified, writable or unsealed") { reference };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var entries = await context.Client.VerifyAsync(parseResult.GetValue(reference), cancellationToken).ConfigureAwait(false);
            if (context.Json) context.WriteJson(JsonOutput.Verify(entries));
            else if (entries.Count == 0) context.WriteLine("No images.");
            else
            {
                var table = new TextTable("IMAGE", "PLATFORM", "STATUS", "DETAIL");
                foreach (var entry in entries)
                    table.Add(entry.Record.ImageRef, entry.Record.Platform.ToString(), entry.Status.ToString().ToLowerInvariant(), entry.Detail);
                table.Write(context);
            }
            var failed = entries.Count(e => e.Status != VerifyStatus.Ok);
            if (failed == 0) return ExitCodes.Ok;
            environment.Error.WriteLine($"error: {failed} of {entries.Count} baselines failed verification");
            return ExitCodes.Failed;
        });
        return command;
    }
}
