using System.CommandLine;
using ImageCache.Cli.Rendering;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache tag SOURCE TARGET</c>.</summary>
internal static class TagCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var source = new Argument<string>("SOURCE") { Description = "The recorded image to name (any form inspect accepts)" };
        var target = new Argument<string>("TARGET") { Description = "The new name, e.g. local/busybox:stable" };
        var command = new Command("tag", "Give a recorded baseline another name (shares the file)") { source, target };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var records = (await context.Client.TagAsync(parseResult.GetValue(source)!, parseResult.GetValue(target)!, cancellationToken).ConfigureAwait(false)).ToList();
            if (context.Json) context.WriteJson(JsonOutput.RecordOrList(records));
            else foreach (var record in records) TextOutput.RecordSummary(context, record);
            return ExitCodes.Ok;
        });
        return command;
    }
}
