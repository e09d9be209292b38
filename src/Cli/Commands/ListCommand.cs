using System.CommandLine;
using ImageCache.Cli.Rendering;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache list|ls</c>.</summary>
internal static class ListCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var command = new Command("list", "List recorded baselines");
        command.Aliases.Add("ls");
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var records = await context.Client.ListAsync(cancellationToken).ConfigureAwait(false);
            if (context.Json) context.WriteJson(JsonOutput.List(records));
            else if (records.IsEmpty) context.WriteLine("No images.");
            else TextOutput.RecordTable(context, records);
            return ExitCodes.Ok;
        });
        return command;
    }
}
