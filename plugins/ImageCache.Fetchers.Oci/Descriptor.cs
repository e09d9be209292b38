using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>An OCI content descriptor (image-spec descriptor.md), with the fields the fetchers use.</summary>
internal sealed record Descriptor(string MediaType, string Digest, long Size, PlatformSpec? Platform, string? RefName, bool HasUrls)
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>Parses a descriptor; <paramref name="what"/> names it in errors.</summary>
    /// <exception cref="ImageSourceException">A required field is missing or malformed.</exception>
    public static Descriptor Parse(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new ImageSourceException($"{what} is not a JSON object");
        var mediaType = Json.String(element, "mediaType")
            ?? throw new ImageSourceException($"{what} has no mediaType");
        var digest = Digests.Require(Json.String(element, "digest"), what);
        var size = Json.Int64(element, "size") is { } s and >= 0 ? s
            : throw new ImageSourceException($"{what} ({digest}) has no valid size");
        PlatformSpec? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
            platform = new PlatformSpec(Json.String(p, "os") ?? "", Json.String(p, "architecture") ?? "", Json.String(p, "variant") ?? "");
        string? refName = null;
        if (element.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object)
            refName = Json.String(a, RefNameAnnotation);
        var hasUrls = element.TryGetProperty("urls", out var u) && u.ValueKind == JsonValueKind.Array && u.GetArrayLength() > 0;
        return new Descriptor(mediaType, digest, size, platform, refName, hasUrls);
    }
}

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
}
