using System.CommandLine;
using ImageCache.Cli.Rendering;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache rm|delete REF [--purge] [--yes]</c>.</summary>
internal static class RemoveCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var reference = new Argument<string>("REF") { Description = "The records to remove (any form inspect accepts; a digest removes every name of it)" };
        var purge = new Option<bool>("--purge") { Description = "Also delete the baseline files no remaining record uses" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask before deleting files" };
        var command = new Command("rm", "Remove records (and with --purge, their baseline files)") { reference, purge, yes };
        command.Aliases.Add("delete");
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var purging = parseResult.GetValue(purge);
            if (purging && !context.Confirm($"Delete baseline files under {context.Client.Layout.RootfsDir}? VM copies made with clone are not touched;", parseResult.GetValue(yes)))
                throw new Host.ImageCacheException(0, "rm cancelled");
            var result = await context.Client.RemoveAsync(parseResult.GetValue(reference)!, purging, cancellationToken).ConfigureAwait(false);
            if (context.Json) context.WriteJson(JsonOutput.Prune(result));
            else TextOutput.PruneSummary(context, result);
            return ExitCodes.Ok;
        });
        return command;
    }
}
