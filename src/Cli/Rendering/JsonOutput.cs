using System.Text;
using System.Text.Json;
using ImageCache.Core;
using ImageCache.Host.Operations;
using ImageCache.Host.Storage;

namespace ImageCache.Cli.Rendering;

/// <summary>The JSON documents the CLI prints with <c>--json</c> (DESIGN §8): arrays are never <c>null</c>.</summary>
internal static class JsonOutput
{
    static readonly JsonWriterOptions Options = new() { Indented = true, IndentSize = 2, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Record(ImageRecord record) => Write(writer => IndexJson.WriteRecord(writer, record));

    /// <summary>One record as itself; several (platforms, aliases) as <c>{"images":[…]}</c>.</summary>
    public static string RecordOrList(IReadOnlyList<ImageRecord> records) =>
        records.Count == 1 ? Record(records[0]) : List(records);

    public static string List(IEnumerable<ImageRecord> records) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WritePropertyName("images");
        IndexJson.WriteRecords(writer, records);
        writer.WriteEndObject();
    });

    public static string Prune(PruneResult result) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WritePropertyName("removed");
        IndexJson.WriteRecords(writer, result.Removed);
        writer.WritePropertyName("deleted");
        IndexJson.WriteRecords(writer, result.Deleted);
        writer.WritePropertyName("kept");
        IndexJson.WriteRecords(writer, result.Kept);
        writer.WriteStartArray("orphans_deleted");
        foreach (var path in result.OrphansDeleted) writer.WriteStringValue(path);
        writer.WriteEndArray();
        WriteBlobs(writer, result.Blobs);
        writer.WriteEndObject();
    });

    /// <summary><c>"blobs": {"deleted": [digest…], "refs_removed": [digest…], "bytes_freed": N, "skipped": "why"|null}</c>.</summary>
    static void WriteBlobs(Utf8JsonWriter writer, BlobGcOutcome blobs)
    {
        writer.WriteStartObject("blobs");
        writer.WriteStartArray("deleted");
        foreach (var digest in blobs.DeletedBlobs) writer.WriteStringValue(digest);
        writer.WriteEndArray();
        writer.WriteStartArray("refs_removed");
        foreach (var digest in blobs.RemovedRefs) writer.WriteStringValue(digest);
        writer.WriteEndArray();
        writer.WriteNumber("bytes_freed", blobs.BytesFreed);
        if (blobs.Skipped.Length > 0) writer.WriteString("skipped", blobs.Skipped);
        else writer.WriteNull("skipped");
        writer.WriteEndObject();
    }

    public static string Verify(IReadOnlyList<VerifyEntry> entries) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("results");
        foreach (var entry in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("image_ref", entry.Record.ImageRef);
            writer.WriteString("digest", entry.Record.Digest);
            writer.WriteString("platform", entry.Record.Platform.ToString());
            writer.WriteString("output_path", entry.Record.OutputPath);
            writer.WriteString("status", entry.Status.ToString().ToLowerInvariant());
            writer.WriteString("detail", entry.Detail);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteBoolean("ok", entries.All(e => e.Status == VerifyStatus.Ok));
        writer.WriteEndObject();
    });

    public static string Plugins(Host.Plugins.PluginLoadReport report) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("directories");
        foreach (var directory in report.Directories) writer.WriteStringValue(directory);
        writer.WriteEndArray();
        writer.WriteStartArray("plugins");
        foreach (var entry in report.Entries)
        {
            writer.WriteStartObject();
            writer.WriteString("name", entry.Name);
            writer.WriteString("path", entry.Path);
            writer.WriteString("status", entry.Status.ToString().ToLowerInvariant());
            writer.WriteString("reason", entry.Reason ?? "");
            writer.WriteStartArray("fetchers");
            foreach (var fetcher in entry.Fetchers)
            {
                writer.WriteStartObject();
                writer.WriteString("transport", fetcher.Transport);
                writer.WriteString("description", fetcher.Description);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("builders");
            foreach (var builder in entry.Builders)
            {
                writer.WriteStartObject();
                writer.WriteString("name", builder.Name);
                writer.WriteString("format", builder.Format);
                writer.WriteString("extension", builder.Extension);
                writer.WriteStartArray("required_tools");
                foreach (var tool in builder.RequiredTools) writer.WriteStringValue(tool);
                writer.WriteEndArray();
                writer.WriteString("description", builder.Description);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    public static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options)) body(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
