using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using ImageCache.Core;
using LanguageExt;
using LanguageExt.ClassInstances;
using static LanguageExt.Prelude;

namespace ImageCache.Host.Storage;

/// <summary>
/// The JSON form of the index and of records: the Go original's field names (an index it wrote reads here),
/// empty fields omitted as it did, unknown fields carried through untouched, arrays never <c>null</c>.
/// </summary>
public static class IndexJson
{
    static readonly JsonWriterOptions WriterOptions = new() { Indented = true, IndentSize = 2, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serialises the index as <c>{"images":[…]}</c>, 2-space indented, with a trailing newline.</summary>
    public static byte[] Serialize(ImageIndex index)
    {
        using var buffer = new MemoryStream();
        Serialize(index, buffer);
        return buffer.ToArray();
    }

    /// <summary>Writes the index to <paramref name="destination"/> (not disposed), as <see cref="Serialize(ImageIndex)"/> does.</summary>
    public static void Serialize(ImageIndex index, Stream destination)
    {
        using (var writer = new Utf8JsonWriter(destination, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("images");
            WriteRecords(writer, index.Images);
            writer.WriteEndObject();
        }
        destination.WriteByte((byte)'\n');
    }

    /// <summary>Writes records as a JSON array (never <c>null</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    public static void WriteRecords(Utf8JsonWriter writer, IEnumerable<ImageRecord> records)
    {
        writer.WriteStartArray();
        foreach (var record in records) WriteRecord(writer, record);
        writer.WriteEndArray();
    }

    /// <summary>Writes one record as a JSON object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    public static void WriteRecord(Utf8JsonWriter writer, ImageRecord record)
    {
        writer.WriteStartObject();
        writer.WriteString("image_ref", record.ImageRef);
        WriteIfSet(writer, "canonical_ref", record.CanonicalRef);
        WriteIfSet(writer, "resolved_ref", record.ResolvedRef);
        WriteIfSet(writer, "digest", record.Digest);
        WriteIfSet(writer, "index_digest", record.IndexDigest);
        writer.WriteStartObject("platform");
        writer.WriteString("os", record.Platform.Os);
        writer.WriteString("architecture", record.Platform.Architecture);
        WriteIfSet(writer, "variant", record.Platform.Variant);
        writer.WriteEndObject();
        WriteIfSet(writer, "output_path", record.OutputPath);
        if (record.SizeBytes != 0) writer.WriteNumber("size_bytes", record.SizeBytes);
        writer.WriteString("last_used_at", record.LastUsedAt.Match(FormatTime, () => ""));
        record.CreatedAt.IfSome(t => writer.WriteString("created_at", FormatTime(t)));
        WriteIfSet(writer, "rootfs_sha256", record.RootfsSha256);
        if (record.RootfsImmutable) writer.WriteBoolean("rootfs_immutable", true);
        WriteIfSet(writer, "init_sha256", record.InitSha256);
        WriteIfSet(writer, "setuid_policy", record.SetuidPolicy);
        WriteListIfSet(writer, "image_env", record.ImageEnv);
        WriteListIfSet(writer, "image_entrypoint", record.ImageEntrypoint);
        WriteListIfSet(writer, "image_cmd", record.ImageCmd);
        record.ImageConfig.IfSome(config => WriteConfig(writer, config));
        WriteIfSet(writer, "source", record.Source);
        WriteIfSet(writer, "format", record.Format);
        WriteIfSet(writer, "builder", record.Builder);
        WriteIfSet(writer, "content_key", record.ContentKey);
        WriteListIfSet(writer, "layer_digests", record.LayerDigests);
        foreach (var (name, rawJson) in record.Extensions)
        {
            writer.WritePropertyName(name);
            // Re-emitted through the writer (not as raw text) so it takes this document's indentation.
            using var value = JsonDocument.Parse(rawJson);
            value.RootElement.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>Parses an index. <c>"images": null</c> (what the original writes after emptying it) reads as empty.</summary>
    /// <exception cref="JsonException">The text is not an index.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    public static ImageIndex Deserialize(ReadOnlySpan<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 64 });
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("the top level is not an object");
        if (!root.TryGetProperty("images", out var images) || images.ValueKind == JsonValueKind.Null) return ImageIndex.Empty;
        if (images.ValueKind != JsonValueKind.Array) throw new JsonException("\"images\" is not an array");
        var records = new List<ImageRecord>(images.GetArrayLength());
        var position = 0;
        foreach (var element in images.EnumerateArray())
        {
            try { records.Add(ReadRecord(element)); }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new JsonException($"record {position}: {e.Message}", e);
            }
            position++;
        }
        return new ImageIndex(records.ToSeq().Strict());
    }

    /// <summary>Reads one record object. A record of the original has no <c>canonical_ref</c>; it is computed here once, so matching never has to parse every record's reference again.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    public static ImageRecord ReadRecord(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new JsonException("a record is not an object");
        // Plain locals and one object initialiser: a `with` per property would copy the whole record each time,
        // which shows on indexes of thousands of records.
        string imageRef = "", canonicalRef = "", resolvedRef = "", digest = "", indexDigest = "", outputPath = "";
        string rootfsSha256 = "", initSha256 = "", setuidPolicy = "", source = "", format = "", builder = "", contentKey = "";
        var platform = Platform.Any;
        long sizeBytes = 0;
        var rootfsImmutable = false;
        Option<DateTimeOffset> lastUsedAt = None, createdAt = None;
        Seq<string> env = default, entrypoint = default, cmd = default, layers = default;
        Option<ImageConfig> config = None;
        var extensions = LanguageExt.Map<OrdStringOrdinal, string, string>.Empty;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "image_ref": imageRef = Text(value); break;
                case "canonical_ref": canonicalRef = Text(value); break;
                case "resolved_ref": resolvedRef = Text(value); break;
                case "digest": digest = Text(value); break;
                case "index_digest": indexDigest = Text(value); break;
                case "platform": platform = ReadPlatform(value); break;
                case "output_path": outputPath = Text(value); break;
                case "size_bytes": sizeBytes = value.ValueKind == JsonValueKind.Null ? 0 : value.GetInt64(); break;
                case "last_used_at": lastUsedAt = ParseTime(Text(value)); break;
                case "created_at": createdAt = ParseTime(Text(value)); break;
                case "rootfs_sha256": rootfsSha256 = Text(value); break;
                case "rootfs_immutable": rootfsImmutable = value.ValueKind == JsonValueKind.True; break;
                case "init_sha256": initSha256 = Text(value); break;
                case "setuid_policy": setuidPolicy = Text(value); break;
                case "image_env": env = TextList(value); break;
                case "image_entrypoint": entrypoint = TextList(value); break;
                case "image_cmd": cmd = TextList(value); break;
                case "image_config": config = value.ValueKind == JsonValueKind.Null ? None : Some(ReadConfig(value)); break;
                case "source": source = Text(value); break;
                case "format": format = Text(value); break;
                case "builder": builder = Text(value); break;
                case "content_key": contentKey = Text(value); break;
                case "layer_digests": layers = TextList(value); break;
                default: extensions = extensions.AddOrUpdate(property.Name, Compact(value)); break;
            }
        }
        if (canonicalRef.Length == 0) canonicalRef = ImageRef.CanonicalOf(imageRef).IfNone("");
        return new ImageRecord
        {
            ImageRef = imageRef, CanonicalRef = canonicalRef, ResolvedRef = resolvedRef, Digest = digest, IndexDigest = indexDigest,
            Platform = platform, OutputPath = outputPath, SizeBytes = sizeBytes, LastUsedAt = lastUsedAt, CreatedAt = createdAt,
            RootfsSha256 = rootfsSha256, RootfsImmutable = rootfsImmutable, InitSha256 = initSha256, SetuidPolicy = setuidPolicy,
            ImageEnv = env, ImageEntrypoint = entrypoint, ImageCmd = cmd, ImageConfig = config, Source = source, Format = format,
            Builder = builder, ContentKey = contentKey, LayerDigests = layers, Extensions = extensions,
        };
    }

    /// <summary>Unknown fields are kept as compact JSON, so a read-write-read cycle gives equal records whatever the indentation.</summary>
    static string Compact(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = WriterOptions.Encoder })) value.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>RFC 3339 in UTC, with a fraction only when there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    static Option<DateTimeOffset> ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? Some(time) : None;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    static Platform ReadPlatform(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null) return Platform.Any;
        if (value.ValueKind != JsonValueKind.Object) throw new JsonException("\"platform\" is not an object");
        return new Platform(Field(value, "os"), Field(value, "architecture"), Field(value, "variant"));
    }

    static ImageConfig ReadConfig(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new JsonException("\"image_config\" is not an object");
        var labels = LanguageExt.Map<OrdStringOrdinal, string, string>.Empty;
        if (value.TryGetProperty("labels", out var labelElement) && labelElement.ValueKind == JsonValueKind.Object)
            foreach (var label in labelElement.EnumerateObject())
                labels = labels.AddOrUpdate(label.Name, Text(label.Value));
        return new ImageConfig(Field(value, "user"), Field(value, "working_dir"), Field(value, "stop_signal"), labels,
            value.TryGetProperty("exposed_ports", out var ports) ? TextList(ports) : LanguageExt.Seq<string>.Empty,
            value.TryGetProperty("volumes", out var volumes) ? TextList(volumes) : LanguageExt.Seq<string>.Empty);
    }

    static void WriteConfig(Utf8JsonWriter writer, ImageConfig config)
    {
        writer.WriteStartObject("image_config");
        WriteIfSet(writer, "user", config.User);
        WriteIfSet(writer, "working_dir", config.WorkingDir);
        WriteIfSet(writer, "stop_signal", config.StopSignal);
        if (!config.Labels.IsEmpty)
        {
            writer.WriteStartObject("labels");
            foreach (var (key, text) in config.Labels) writer.WriteString(key, text);
            writer.WriteEndObject();
        }
        WriteListIfSet(writer, "exposed_ports", config.ExposedPorts);
        WriteListIfSet(writer, "volumes", config.Volumes);
        writer.WriteEndObject();
    }

    static string Field(JsonElement owner, string name) => owner.TryGetProperty(name, out var value) ? Text(value) : "";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => "",
        _ => throw new JsonException($"expected a string, found {value.ValueKind.ToString().ToLowerInvariant()}"),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per record: skip the slow first JIT tier
    static Seq<string> TextList(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => LanguageExt.Seq<string>.Empty,
        JsonValueKind.Array => value.EnumerateArray().Select(Text).ToArray().ToSeq().Strict(),
        _ => throw new JsonException("expected an array of strings"),
    };

    static void WriteIfSet(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0) writer.WriteString(name, value);
    }

    static void WriteListIfSet(Utf8JsonWriter writer, string name, Seq<string> values)
    {
        if (values.IsEmpty) return;
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    /// <summary>A record as a standalone, indented JSON document (for <c>--json</c> output).</summary>
    public static string RecordToString(ImageRecord record)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) WriteRecord(writer, record);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
