using System.CommandLine;
using ImageCache.Cli.Rendering;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache inspect REF</c>.</summary>
internal static class InspectCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var reference = new Argument<string>("REF") { Description = "A name, name:tag, repo@digest, digest, or a unique digest prefix of at least 12 hex digits" };
        var command = new Command("inspect", "Show everything recorded about a baseline") { reference };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var records = (await context.Client.InspectAsync(parseResult.GetValue(reference)!, cancellationToken).ConfigureAwait(false)).ToList();
            if (context.Json) { context.WriteJson(JsonOutput.RecordOrList(records)); return ExitCodes.Ok; }
            for (var i = 0; i < records.Count; i++)
            {
                if (i > 0) context.WriteLine();
                TextOutput.RecordDetail(context, records[i]);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
