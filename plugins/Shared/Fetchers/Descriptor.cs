using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>An OCI content descriptor (image-spec descriptor.md), with the fields the fetchers use.</summary>
internal sealed record Descriptor(string MediaType, string Digest, long Size, PlatformSpec? Platform, string? RefName, IReadOnlyList<string> Urls)
{
    /// <summary>A foreign (non-distributable) layer: its content may be fetched from <see cref="Urls"/>.</summary>
    public bool HasUrls => Urls.Count > 0;

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
        IReadOnlyList<string> urls = element.TryGetProperty("urls", out var u) && u.ValueKind == JsonValueKind.Array
            ? [.. u.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
        return new Descriptor(mediaType, digest, size, platform, refName, urls);
    }
}
