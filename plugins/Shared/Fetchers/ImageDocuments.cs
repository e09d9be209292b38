using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>
/// Parsing and validation of the JSON documents of an image (oci-rules §3.4): indexes, manifests and configs, the same
/// for every transport. Every method is pure over bytes; <c>what</c> names the document in errors.
/// </summary>
internal static class ImageDocuments
{
    /// <summary>Cap on manifests, indexes and configs (issue #3: 4 MiB).</summary>
    public const long MaxJsonBytes = 4 << 20;

    /// <summary>Nested indexes deeper than this are refused (a cycle of indexes cannot exist, but a long chain can).</summary>
    public const int MaxIndexDepth = 8;

    public static string Schema1Message(string what) =>
        $"{what} is a Docker schema 1 manifest, which is not supported (deprecated since 2017); convert the image to a schema 2 or OCI manifest first";

    /// <summary>Refuses schema 1 and any schemaVersion other than 2.</summary>
    public static void CheckSchema(JsonElement root, string what)
    {
        var schema = Json.Int64(root, "schemaVersion");
        if (schema == 1 || MediaTypes.IsSchema1(Json.String(root, "mediaType")))
            throw new ImageSourceException(Schema1Message(what));
        if (schema != 2)
            throw new ImageSourceException($"{what}: unsupported schemaVersion {(schema?.ToString() ?? "(none)")} (expected 2)");
    }

    /// <summary>The entries of an index; <paramref name="expectedMediaType"/> (the descriptor's) must agree with the content's when both exist.</summary>
    public static IReadOnlyList<Descriptor> ParseIndex(byte[] bytes, string what, string? expectedMediaType)
    {
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        CheckSchema(root, what);
        var mediaType = Json.String(root, "mediaType");
        if (mediaType is not null && (expectedMediaType is null ? !MediaTypes.IsIndex(mediaType) : mediaType != expectedMediaType))
            throw new ImageSourceException($"{what}: media type mismatch: the descriptor says {expectedMediaType ?? "an index"}, the content says {Digests.Printable(mediaType)}");
        if (Json.Property(root, "manifests", JsonValueKind.Array) is not { } manifests)
        {
            // `"manifests": null` was written by `docker save IMAGE@DIGEST` (moby#47210): an empty index, not a crash.
            if (root.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Null) return [];
            if (root.TryGetProperty("layers", out _))
                throw new ImageSourceException($"{what}: media type mismatch: the descriptor says {expectedMediaType ?? "an index"}, the content is a manifest");
            throw new ImageSourceException($"{what} has no manifests array");
        }
        return [.. manifests.EnumerateArray().Select((e, i) => Descriptor.Parse(e, $"{what}: manifests[{i}]"))];
    }

    /// <summary>
    /// The media type of a manifest or index from its own content (its <c>mediaType</c>, else its shape), for documents
    /// that arrive without a trustworthy descriptor. Schema 1 is refused.
    /// </summary>
    public static string SniffMediaType(byte[] bytes, string what)
    {
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        CheckSchema(root, what);
        return Json.String(root, "mediaType")
            ?? (root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest);
    }

    /// <summary>The config and layer descriptors of an image manifest whose descriptor says <paramref name="mediaType"/>.</summary>
    public static (Descriptor Config, IReadOnlyList<Descriptor> Layers) ParseManifest(byte[] bytes, string what, string mediaType)
    {
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        CheckSchema(root, what);
        var contentType = Json.String(root, "mediaType");
        if (root.TryGetProperty("manifests", out _) || (contentType is not null && contentType != mediaType))
            throw new ImageSourceException(
                $"{what}: media type mismatch: the descriptor says {mediaType}, the content says {Digests.Printable(contentType ?? "an index")}");
        if (Json.Property(root, "config", JsonValueKind.Object) is not { } configElement)
            throw new ImageSourceException($"{what} has no config");
        var config = Descriptor.Parse(configElement, $"{what}: config");
        if (!MediaTypes.IsConfig(config.MediaType))
            throw new ImageSourceException(
                $"{what} is an artifact, not a container image (config media type {Digests.Printable(config.MediaType)})");
        if (Json.Property(root, "layers", JsonValueKind.Array) is not { } layersElement)
            throw new ImageSourceException($"{what} has no layers array");
        List<Descriptor> layers = [.. layersElement.EnumerateArray().Select((e, i) => Descriptor.Parse(e, $"{what}: layers[{i}]"))];
        foreach (var (layer, i) in layers.Select((l, i) => (l, i)))
        {
            if (!MediaTypes.IsLayer(layer.MediaType))
                throw new ImageSourceException($"{what}: layers[{i}] has an unsupported media type {Digests.Printable(layer.MediaType)}");
        }
        return (config, layers);
    }

    /// <summary>
    /// Validates an image config against its manifest (config.md): <c>rootfs.type</c> is <c>layers</c>, there is one
    /// diff_id per layer, and os/architecture are stated. Returns the platform and the diff_ids.
    /// </summary>
    public static (PlatformSpec Platform, IReadOnlyList<string> DiffIds) ParseConfig(byte[] bytes, string what, int layerCount)
    {
        using var document = Json.Parse(bytes, what);
        var root = document.RootElement;
        if (Json.Property(root, "rootfs", JsonValueKind.Object) is not { } rootfs)
            throw new ImageSourceException($"{what} has no rootfs");
        var type = Json.String(rootfs, "type");
        if (type != "layers")
            throw new ImageSourceException($"{what}: rootfs.type is '{Digests.Printable(type ?? "(none)")}', expected 'layers'");
        if (Json.Property(rootfs, "diff_ids", JsonValueKind.Array) is not { } diffIdsElement)
        {
            if (layerCount == 0) return (PlatformOf(root, what), []);
            throw new ImageSourceException($"{what} has no rootfs.diff_ids");
        }
        var diffIds = diffIdsElement.EnumerateArray()
            .Select((e, i) => Digests.Require(e.ValueKind == JsonValueKind.String ? e.GetString() : null, $"{what}: rootfs.diff_ids[{i}]"))
            .ToList();
        if (diffIds.Count != layerCount)
            throw new ImageSourceException($"{what}: rootfs.diff_ids has {diffIds.Count} entries but the manifest has {layerCount} layers");
        return (PlatformOf(root, what), diffIds);
    }

    /// <summary>
    /// The config's platform checked against the request (os and architecture must equal the wanted ones); a variant
    /// missing from the config is taken from the index entry the manifest was chosen by.
    /// </summary>
    public static PlatformSpec CheckPlatform(PlatformSpec platform, PlatformSpec? wanted, PlatformSpec? listed, string source)
    {
        if (wanted is not null && (wanted.Os != platform.Os || wanted.Architecture != platform.Architecture))
            throw new ImageSourceException($"{source}: the image is for {platform}, not the requested {wanted}");
        if (platform.Variant.Length == 0 && listed is { Variant.Length: > 0 }
            && listed.Os == platform.Os && listed.Architecture == platform.Architecture)
            return platform with { Variant = listed.Variant };
        return platform;
    }

    static PlatformSpec PlatformOf(JsonElement root, string what)
    {
        var os = Json.String(root, "os");
        var architecture = Json.String(root, "architecture");
        if (string.IsNullOrEmpty(os) || string.IsNullOrEmpty(architecture))
            throw new ImageSourceException($"{what} does not state its os and architecture");
        return new PlatformSpec(os, architecture, Json.String(root, "variant") ?? "");
    }
}
