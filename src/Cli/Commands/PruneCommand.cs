using System.CommandLine;
using ImageCache.Cli.Rendering;
using ImageCache.Core;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache prune [--purge] [--unused-for D] [--keep-last N] [--yes]</c>.</summary>
internal static class PruneCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var purge = new Option<bool>("--purge")
        {
            Description = "Delete files: of the records pruned (all store baselines when no policy is given) and orphan files no record references",
        };
        var unusedFor = new Option<string?>("--unused-for") { Description = "Prune records not used for this long (e.g. 30d, 12h, 1d12h)", HelpName = "DURATION" };
        var keepLast = new Option<int?>("--keep-last") { Description = "Always keep the N most recently used records of each repository", HelpName = "N" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask before deleting files" };
        var command = new Command("prune", "Drop records whose baseline is gone, or that a retention policy selects") { purge, unusedFor, keepLast, yes };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var policy = new RetentionPolicy(
                parseResult.GetValue(unusedFor) is { } text
                    ? DurationText.Parse(text).Match(d => LanguageExt.Option<TimeSpan>.Some(d), e => throw Host.ImageCacheException.From(e))
                    : LanguageExt.Option<TimeSpan>.None,
                parseResult.GetValue(keepLast) is { } n ? LanguageExt.Option<int>.Some(n) : LanguageExt.Option<int>.None);
            var purging = parseResult.GetValue(purge);
            var what = policy.IsSet ? "the baseline files of pruned records" : "every baseline file";
            if (purging && !context.Confirm($"Delete {what} under {context.Client.Layout.RootfsDir}? VM copies made with clone are not touched;", parseResult.GetValue(yes)))
                throw new Host.ImageCacheException(0, "prune cancelled");
            var result = await context.Client.PruneAsync(purging, policy, cancellationToken).ConfigureAwait(false);
            if (context.Json) context.WriteJson(JsonOutput.Prune(result));
            else TextOutput.PruneSummary(context, result);
            return ExitCodes.Ok;
        });
        return command;
    }
}
