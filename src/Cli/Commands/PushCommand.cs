using System.CommandLine;
using ImageCache.Host.Operations;
using ImageCache.Host.Plugins;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache push REF DEST</c>: publish a sealed baseline to a registry repository as an OCI artifact (docs/fleet.md).</summary>
internal static class PushCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var reference = new Argument<string>("REF") { Description = "The recorded image whose baseline to publish (any form inspect accepts)" };
        var destination = new Argument<string>("DEST") { Description = "The cache repository, HOST/NAME (the artifact is tagged baseline-<content key>)" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP and unverified TLS for a non-loopback registry" };
        var command = new Command("push", "Publish a sealed baseline to a registry as an OCI artifact, for other hosts to pull with --from")
        {
            reference, destination, insecure,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var directories = PluginCatalog.DefaultDirectories(AppContext.BaseDirectory, context.Client.Layout.Root,
                context.PluginsDirs, Environment.GetEnvironmentVariable("IMAGECACHE_PLUGINS"));
            IProgress<string>? progress = context.Quiet ? null : new LineProgress(line => environment.Error.WriteLine($"imagecache: {line}"));
            var published = await context.Client.PushAsync(parseResult.GetValue(reference)!, parseResult.GetValue(destination)!,
                parseResult.GetValue(insecure), directories, progress, cancellationToken).ConfigureAwait(false);
            if (context.Json)
                context.WriteJson(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["reference"] = published.Reference,
                    ["tag"] = published.Tag,
                    ["manifest_digest"] = published.Result.ManifestDigest,
                    ["blobs_uploaded"] = published.Result.BlobsUploaded,
                    ["blobs_skipped"] = published.Result.BlobsSkipped,
                    ["subject_link"] = published.Result.SubjectLink,
                }));
            else context.WriteLine(published.Reference);
            return ExitCodes.Ok;
        });
        return command;
    }

    sealed class LineProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
