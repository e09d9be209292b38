using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>Tolerant accessors: a field of the wrong JSON kind reads as absent, so the caller reports it clearly.</summary>
internal static class Json
{
    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString() : null;

    public static long? Int64(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
        && v.TryGetInt64(out var n) ? n : null;

    public static JsonElement? Property(JsonElement element, string name, JsonValueKind kind) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == kind ? v : null;

    /// <summary>Parses JSON, turning a syntax error into a one-line <see cref="ImageSourceException"/>.</summary>
    public static JsonDocument Parse(byte[] bytes, string what)
    {
        try
        {
            var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            RequireValidText(document, bytes, what);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new ImageSourceException($"{what} is not a JSON object");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new ImageSourceException($"{what} is not valid JSON: {Digests.Printable(e.Message)}", e);
        }
    }

    /// <summary>
    /// JsonDocument accepts strings holding invalid UTF-8 or a lone escaped surrogate (<c>"\ud800"</c>) and only
    /// fails, with InvalidOperationException, when one is read. Reading every string once here turns that into the
    /// same one-line refusal as any other bad document (found by the reliability fuzzer).
    /// </summary>
    static void RequireValidText(JsonDocument document, byte[] bytes, string what)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName) reader.GetString();
        }
        catch (InvalidOperationException e)
        {
            document.Dispose();
            throw new ImageSourceException($"{what} is not valid JSON: {Digests.Printable(e.Message)}", e);
        }
    }
}
