using System.CommandLine;
using ImageCache.Cli.Rendering;
using ImageCache.Host.Operations;
using ImageCache.Host.Plugins;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache pull SOURCE</c>: fetch an image and build (or reuse) its sealed baseline.</summary>
internal static class PullCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var source = new Argument<string>("SOURCE") { Description = "[docker://]REF (a registry image), oci:DIR[:REF], oci-archive:FILE[:REF] or docker-archive:FILE[:REF]" };
        var platform = new Option<string?>("--platform") { Description = "os/arch[/variant] to pull from a multi-platform image" };
        var builder = new Option<string?>("--builder") { Description = "The builder plugin (ext4, squashfs, …); default: chosen by --format" };
        var format = new Option<string?>("--format") { Description = "The filesystem format (ext4, squashfs, …) when no --builder is named; default: ext4" };
        var sizeMiB = new Option<long?>("--size-mib") { Description = "A fixed image size in MiB (default: fit the content)" };
        var allowSetuid = new Option<bool>("--allow-setuid") { Description = "Keep setuid/setgid bits (stripped by default)" };
        var init = new Option<string?>("--init") { Description = "A guest init binary to copy into the image (0755, root-owned); its SHA-256 is recorded" };
        var initPath = new Option<string?>("--init-path") { Description = "Where --init goes in the image (default /sbin/imagecache-init)" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP and unverified TLS for a non-loopback registry" };
        var tag = new Option<string?>("--tag") { Description = "Also name the pulled image NAME (like `imagecache tag`)", HelpName = "NAME" };
        var noJournal = new Option<bool>("--no-journal") { Description = "Write ext4 without a journal (ext4 and mke2fs builders; a separate baseline)" };
        var from = new Option<string?>("--from") { Description = "A shared cache repository (HOST/NAME) to take a prebuilt baseline from (default $IMAGECACHE_SHARED_CACHE)" };
        var pushToCache = new Option<bool>("--push-to-cache") { Description = "Publish a baseline built here to the shared cache" };
        var command = new Command("pull", "Fetch an image and build its sealed root-filesystem baseline (reused when already built)")
        {
            source, platform, builder, format, sizeMiB, allowSetuid, init, initPath, insecure, tag, noJournal, from, pushToCache,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var directories = PluginCatalog.DefaultDirectories(AppContext.BaseDirectory, context.Client.Layout.Root,
                context.PluginsDirs, Environment.GetEnvironmentVariable("IMAGECACHE_PLUGINS"));
            var request = new PullRequest(parseResult.GetValue(source)!, parseResult.GetValue(platform), parseResult.GetValue(builder),
                parseResult.GetValue(sizeMiB), parseResult.GetValue(allowSetuid), directories,
                InitFile: parseResult.GetValue(init), InitPath: parseResult.GetValue(initPath), Insecure: parseResult.GetValue(insecure),
                Format: parseResult.GetValue(format), Journal: !parseResult.GetValue(noJournal),
                CacheRepository: parseResult.GetValue(from) ?? NonEmpty(Environment.GetEnvironmentVariable(ImageCacheClient.SharedCacheVariable)),
                PushToCache: parseResult.GetValue(pushToCache));
            var tagName = parseResult.GetValue(tag);
            if (tagName is not null) context.Client.CheckTagName(tagName); // a bad name fails before anything is fetched

            var record = await PullWithProgressAsync(context, request, cancellationToken).ConfigureAwait(false);
            if (tagName is not null) await context.Client.TagPulledAsync(record, tagName, cancellationToken).ConfigureAwait(false);
            if (context.Json) context.WriteJson(JsonOutput.Record(record));
            else
            {
                TextOutput.RecordSummary(context, record);
                if (tagName is not null) context.WriteLine($"Tagged:   {tagName.Trim()}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Progress on stderr: live bars on a terminal (Spectre, loaded only then: it costs start-up time), a line per
    /// phase otherwise, nothing with <c>-q</c>.
    /// </summary>
    static Task<Core.ImageRecord> PullWithProgressAsync(CommandContext context, PullRequest request, CancellationToken cancellationToken)
    {
        if (context.Quiet) return context.Client.PullWithCacheAsync(request, null, cancellationToken);
        if (context.Environment.ErrorIsTerminal)
            return TerminalPullProgress.RunAsync(context.Environment.Error, progress => context.Client.PullWithCacheAsync(request, progress, cancellationToken));
        var lines = new SyncProgress(line => context.Environment.Error.WriteLine($"imagecache: {line}"));
        return context.Client.PullWithCacheAsync(request, lines, cancellationToken);
    }

    static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
