using System.Text;
using System.Text.Json;
using ImageCache.Core;

namespace ImageCache.Host.Fleet;

/// <summary>
/// The OCI artifact a sealed baseline travels as (docs/fleet.md): an image manifest with <see cref="ArtifactType"/>,
/// a small JSON config (<see cref="ConfigMediaType"/>), one zstd layer holding the filesystem image, the same facts
/// again as manifest annotations (so <c>skopeo inspect --raw</c> and referrers listings show them), and the source
/// image manifest as <c>subject</c>. Nothing host- or time-dependent goes in: two hosts publishing one content key
/// produce the same bytes, so racing pushes are harmless.
/// </summary>
public static class BaselineArtifact
{
    /// <summary>The manifest's <c>artifactType</c>.</summary>
    public const string ArtifactType = "application/vnd.imagecache.rootfs.v1";

    /// <summary>The config blob's media type.</summary>
    public const string ConfigMediaType = "application/vnd.imagecache.rootfs.config.v1+json";

    /// <summary>The manifest's media type.</summary>
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>Annotation keys on the manifest.</summary>
    public const string ContentKeyAnnotation = "vnd.imagecache.content-key";
    /// <summary>The source image's platform manifest digest.</summary>
    public const string SourceDigestAnnotation = "vnd.imagecache.source.digest";
    /// <summary>The source image's index digest (empty when it had none).</summary>
    public const string IndexDigestAnnotation = "vnd.imagecache.source.index-digest";
    /// <summary><c>os/arch[/variant]</c>.</summary>
    public const string PlatformAnnotation = "vnd.imagecache.platform";
    /// <summary>The builder that wrote the filesystem image.</summary>
    public const string BuilderAnnotation = "vnd.imagecache.builder";
    /// <summary><c>ext4</c>, <c>squashfs</c>, ….</summary>
    public const string FormatAnnotation = "vnd.imagecache.format";
    /// <summary>The build options that are part of the content key, as compact JSON.</summary>
    public const string BuildOptionsAnnotation = "vnd.imagecache.build-options";
    /// <summary>SHA-256 (64 hex) of the uncompressed filesystem image: what the receiver seals.</summary>
    public const string RootfsSha256Annotation = "vnd.imagecache.rootfs_sha256";
    /// <summary>Size in bytes of the uncompressed filesystem image.</summary>
    public const string RootfsSizeAnnotation = "vnd.imagecache.rootfs.size";
    /// <summary>The image's env, entrypoint, cmd and the rest of its config, as compact JSON.</summary>
    public const string ImageConfigAnnotation = "vnd.imagecache.image-config";

    /// <summary>The record field (unknown to the Go original) saying where a prebuilt baseline came from: <c>REPO@sha256:…</c>.</summary>
    public const string PrebuiltFromField = "prebuilt_from";

    /// <summary>The layer's media type, naming the format: <c>application/vnd.imagecache.rootfs.ext4.v1+zstd</c>.</summary>
    public static string LayerMediaType(string format) => $"application/vnd.imagecache.rootfs.{format}.v1+zstd";

    /// <summary>
    /// The tag a content key is published under in the cache repository: <c>baseline-&lt;64 hex&gt;</c>, so a lookup
    /// is one manifest GET. The prefix keeps it apart from the referrers fallback tags (<c>sha256-…</c>).
    /// </summary>
    public static string Tag(string contentKey) => "baseline-" + contentKey;

    /// <summary>The facts of one baseline, as published.</summary>
    /// <param name="Record">The sealed baseline's record.</param>
    /// <param name="Subject">The source manifest's descriptor (media type, size), or null when it is not at hand.</param>
    public sealed record Facts(ImageRecord Record, (string MediaType, long Size)? Subject);

    /// <summary>The annotations carried by the manifest (ordinal order).</summary>
    public static SortedDictionary<string, string> Annotations(ImageRecord record) => new(StringComparer.Ordinal)
    {
        [ContentKeyAnnotation] = record.ContentKey,
        [SourceDigestAnnotation] = record.Digest,
        [IndexDigestAnnotation] = record.IndexDigest,
        [PlatformAnnotation] = record.Platform.ToString(),
        [BuilderAnnotation] = record.Builder,
        [FormatAnnotation] = record.Format,
        [BuildOptionsAnnotation] = Compact(w => WriteBuildOptions(w, record)),
        [RootfsSha256Annotation] = record.RootfsSha256,
        [RootfsSizeAnnotation] = record.SizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [ImageConfigAnnotation] = Compact(w => WriteImageConfig(w, record)),
    };

    /// <summary>The config blob: the annotations' facts as one JSON object (fixed field order).</summary>
    public static byte[] Config(ImageRecord record) => Encoding.UTF8.GetBytes(Compact(w =>
    {
        w.WriteStartObject();
        w.WriteString("content_key", record.ContentKey);
        w.WriteString("source_digest", record.Digest);
        w.WriteString("index_digest", record.IndexDigest);
        w.WriteStartObject("platform");
        w.WriteString("os", record.Platform.Os);
        w.WriteString("architecture", record.Platform.Architecture);
        if (record.Platform.Variant.Length > 0) w.WriteString("variant", record.Platform.Variant);
        w.WriteEndObject();
        w.WriteString("builder", record.Builder);
        w.WriteString("format", record.Format);
        w.WritePropertyName("build_options");
        WriteBuildOptions(w, record);
        w.WriteString("rootfs_sha256", record.RootfsSha256);
        w.WriteNumber("rootfs_size", record.SizeBytes);
        w.WritePropertyName("image_config");
        WriteImageConfig(w, record);
        w.WriteEndObject();
    }));

    /// <summary>The manifest's exact bytes.</summary>
    public static byte[] Manifest(Facts facts, (string Digest, long Size) config, (string Digest, long Size) layer)
    {
        var record = facts.Record;
        return Encoding.UTF8.GetBytes(Compact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", ManifestMediaType);
            w.WriteString("artifactType", ArtifactType);
            WriteDescriptor(w, "config", ConfigMediaType, config.Digest, config.Size);
            w.WriteStartArray("layers");
            w.WriteStartObject();
            w.WriteString("mediaType", LayerMediaType(record.Format));
            w.WriteString("digest", layer.Digest);
            w.WriteNumber("size", layer.Size);
            w.WriteStartObject("annotations");
            w.WriteString("org.opencontainers.image.title", ContentKey.FileName(record.ContentKey, record.Format) + ".zst");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            if (facts.Subject is { } subject) WriteDescriptor(w, "subject", subject.MediaType, record.Digest, subject.Size);
            w.WriteStartObject("annotations");
            foreach (var (name, value) in Annotations(record)) w.WriteString(name, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }));
    }

    /// <summary>What a receiver needs from a fetched manifest, checked against what it asked for.</summary>
    /// <param name="Config">The config descriptor.</param>
    /// <param name="Layer">The filesystem image layer descriptor.</param>
    /// <param name="RootfsSha256">The SHA-256 the uncompressed image must have.</param>
    /// <param name="RootfsSize">Its size in bytes.</param>
    public sealed record Received((string Digest, long Size) Config, (string Digest, long Size) Layer, string RootfsSha256, long RootfsSize);

    /// <summary>Reads a fetched manifest; a one-line reason when it is not the baseline for <paramref name="contentKey"/> in <paramref name="format"/>.</summary>
    /// <exception cref="InvalidDataException">The manifest is not a usable baseline artifact.</exception>
    public static Received Parse(byte[] manifest, string contentKey, string format)
    {
        try
        {
            using var document = JsonDocument.Parse(manifest);
            var root = document.RootElement;
            if (Text(root, "artifactType") != ArtifactType)
                throw new InvalidDataException($"not an ImageCache baseline (artifactType '{Text(root, "artifactType")}', expected {ArtifactType})");
            var config = Descriptor(root.GetProperty("config"), "config");
            if (Text(root.GetProperty("config"), "mediaType") != ConfigMediaType)
                throw new InvalidDataException($"the config media type is not {ConfigMediaType}");
            var layers = root.GetProperty("layers");
            if (layers.ValueKind != JsonValueKind.Array || layers.GetArrayLength() != 1)
                throw new InvalidDataException("a baseline artifact has exactly one layer");
            if (Text(layers[0], "mediaType") != LayerMediaType(format))
                throw new InvalidDataException($"the layer is '{Text(layers[0], "mediaType")}', expected {LayerMediaType(format)}");
            var layer = Descriptor(layers[0], "layer");
            var annotations = root.GetProperty("annotations");
            if (Text(annotations, ContentKeyAnnotation) != contentKey)
                throw new InvalidDataException($"its content key is '{Text(annotations, ContentKeyAnnotation)}', expected {contentKey}");
            if (Text(annotations, FormatAnnotation) != format)
                throw new InvalidDataException($"its format is '{Text(annotations, FormatAnnotation)}', expected {format}");
            var sha256 = Text(annotations, RootfsSha256Annotation);
            if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
                throw new InvalidDataException($"its {RootfsSha256Annotation} is not 64 lowercase hex digits");
            if (!long.TryParse(Text(annotations, RootfsSizeAnnotation), System.Globalization.CultureInfo.InvariantCulture, out var size) || size <= 0)
                throw new InvalidDataException($"its {RootfsSizeAnnotation} is not a positive number");
            return new Received(config, layer, sha256, size);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"the manifest is not a baseline artifact: {e.Message}", e);
        }
    }

    /// <summary>Checks the config blob agrees with the manifest's annotations.</summary>
    /// <exception cref="InvalidDataException">It does not.</exception>
    public static void CheckConfig(byte[] config, string contentKey, string rootfsSha256)
    {
        try
        {
            using var document = JsonDocument.Parse(config);
            if (Text(document.RootElement, "content_key") != contentKey || Text(document.RootElement, "rootfs_sha256") != rootfsSha256)
                throw new InvalidDataException("the artifact's config disagrees with its annotations (content key or rootfs_sha256)");
        }
        catch (JsonException e) { throw new InvalidDataException($"the artifact's config is not valid JSON: {e.Message}", e); }
    }

    static (string Digest, long Size) Descriptor(JsonElement element, string what)
    {
        var digest = Text(element, "digest");
        if (!Core.Digest.Parse(digest).IsSucc) throw new InvalidDataException($"the {what} digest '{digest}' is not valid");
        var size = element.GetProperty("size").GetInt64();
        if (size < 0) throw new InvalidDataException($"the {what} size is negative");
        return (digest, size);
    }

    static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    static void WriteDescriptor(Utf8JsonWriter w, string name, string mediaType, string digest, long size)
    {
        w.WriteStartObject(name);
        w.WriteString("mediaType", mediaType);
        w.WriteString("digest", digest);
        w.WriteNumber("size", size);
        w.WriteEndObject();
    }

    static void WriteBuildOptions(Utf8JsonWriter w, ImageRecord record)
    {
        w.WriteStartObject();
        w.WriteString("setuid_policy", record.SetuidPolicy);
        w.WriteString("init_sha256", record.InitSha256);
        w.WriteEndObject();
    }

    static void WriteImageConfig(Utf8JsonWriter w, ImageRecord record)
    {
        w.WriteStartObject();
        WriteList(w, "env", record.ImageEnv);
        WriteList(w, "entrypoint", record.ImageEntrypoint);
        WriteList(w, "cmd", record.ImageCmd);
        record.ImageConfig.IfSome(config =>
        {
            w.WriteString("user", config.User);
            w.WriteString("working_dir", config.WorkingDir);
            w.WriteString("stop_signal", config.StopSignal);
            w.WriteStartObject("labels");
            foreach (var (name, value) in config.Labels) w.WriteString(name, value);
            w.WriteEndObject();
            WriteList(w, "exposed_ports", config.ExposedPorts);
            WriteList(w, "volumes", config.Volumes);
        });
        w.WriteEndObject();
    }

    static void WriteList(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values) w.WriteStringValue(value);
        w.WriteEndArray();
    }

    static string Compact(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) write(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
