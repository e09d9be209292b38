using System.CommandLine;
using ImageCache.Cli.Rendering;
using ImageCache.Host.Operations;
using ImageCache.Host.Storage;

namespace ImageCache.Cli.Commands;

/// <summary><c>imagecache clone REF DEST</c>: a private writable copy of a baseline for one VM.</summary>
internal static class CloneCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment environment)
    {
        var reference = new Argument<string>("REF") { Description = "The baseline: a name, name:tag, repo@digest, digest, or a unique digest prefix" };
        var destination = new Argument<string>("DEST") { Description = "The copy's path, outside the state directory; it must not exist (see --force)" };
        var sizeMiB = new Option<long?>("--size-mib") { Description = "Grow the copy and its ext4 file system to N MiB (never shrinks)", HelpName = "N" };
        var force = new Option<bool>("--force") { Description = "Replace DEST if it exists" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Check only the baseline's size, not its SHA-256 (faster for reflinks)" };
        var command = new Command("clone", "Make a private writable copy of a baseline for one VM (a reflink where the file system can)")
        {
            reference, destination, sizeMiB, force, noVerify,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var context = new CommandContext(parseResult, globals, environment);
            var request = new CloneRequest(parseResult.GetValue(reference)!, parseResult.GetValue(destination)!, parseResult.GetValue(sizeMiB),
                parseResult.GetValue(force), VerifyContent: !parseResult.GetValue(noVerify));
            var result = await context.Client.CloneAsync(request, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                // The copy's provenance, plus how it was made.
                context.WriteJson(JsonOutput.Write(writer =>
                {
                    writer.WriteStartObject();
                    ProvenanceJson.WriteFields(writer, result.Provenance);
                    writer.WriteString("copy_method", Method(result.Method));
                    writer.WriteBoolean("content_verified", result.ContentVerified);
                    writer.WriteEndObject();
                }));
                return ExitCodes.Ok;
            }
            var size = result.Provenance.SizeBytes;
            context.WriteLine($"Image:    {result.Baseline.ImageRef}");
            if (result.Baseline.Digest.Length > 0) context.WriteLine($"Digest:   {result.Baseline.Digest}");
            context.WriteLine($"Baseline: {result.Baseline.OutputPath}");
            context.WriteLine($"Copy:     {result.Provenance.OutputPath}");
            context.WriteLine($"Method:   {(result.Method == CloneMethod.Reflink ? "reflink (shares the baseline's extents until written)" : "sparse copy")}");
            context.WriteLine($"Size:     {TextOutput.Bytes(size)} ({size} bytes){(result.Grown ? $", grown from {TextOutput.Bytes(result.Baseline.SizeBytes)}" : "")}");
            context.WriteLine($"Verified: {(result.ContentVerified ? "SHA-256 of the baseline matches its record" : "size only (--no-verify)")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    static string Method(CloneMethod method) => method == CloneMethod.Reflink ? "reflink" : "sparse-copy";
}
