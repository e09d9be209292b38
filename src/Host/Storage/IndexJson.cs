using System.Globalization;
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
    public static void Serialize(ImageIndex index, Stream destination) => Serialize(index, destination, raw: null);

    /// <summary>
    /// Writes the index; a record that is one of those read into <paramref name="raw"/> (the same object) is copied
    /// from the file's bytes, which are exactly what encoding it again would give (<see cref="IsWrittenByUs"/>).
    /// The frame is written by hand because <see cref="Utf8JsonWriter.WriteRawValue(ReadOnlySpan{byte}, bool)"/>
    /// does not indent; an encoded record is indented to its depth the same way, so both paths give one form.
    /// </summary>
    internal static void Serialize(ImageIndex index, Stream destination, RawIndex? raw) =>
        Serialize(index, destination, raw, bodyOnly: false);

    /// <summary>
    /// As <see cref="Serialize(ImageIndex, Stream, RawIndex?)"/>, or with <paramref name="bodyOnly"/> everything
    /// up to a member after the images (the document then ends <c>],\n</c>, for <see cref="IndexChecksum"/>).
    /// </summary>
    internal static void Serialize(ImageIndex index, Stream destination, RawIndex? raw, bool bodyOnly)
    {
        if (index.Images.IsEmpty)
        {
            destination.Write(bodyOnly ? "{\n  \"images\": [],\n"u8 : "{\n  \"images\": []\n}\n"u8);
            return;
        }
        destination.Write("{\n  \"images\": ["u8);
        var encoded = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(encoded, WriterOptions);
        var first = true;
        // Records copied from the file that also lie next to each other in it go out as one write (with the
        // separators between them): an index changed in one place is written in two or three pieces, not 10,000.
        int runStart = -1, runEnd = -1;
        foreach (var record in index.Images)
        {
            var separator = first ? RecordIndent[1..] : RecordIndent;
            first = false;
            if (raw is not null && raw.TryGetRange(record, out var start, out var length))
            {
                if (runStart >= 0 && start - runEnd == separator.Length && raw.Bytes[runEnd..start].SequenceEqual(separator))
                {
                    runEnd = start + length;
                    continue;
                }
                if (runStart >= 0) destination.Write(raw.Bytes[runStart..runEnd]);
                destination.Write(separator);
                (runStart, runEnd) = (start, start + length);
                continue;
            }
            if (runStart >= 0) destination.Write(raw!.Bytes[runStart..runEnd]);
            runStart = -1;
            destination.Write(separator);
            encoded.ResetWrittenCount();
            writer.Reset();
            WriteRecord(writer, record);
            writer.Flush();
            WriteIndented(destination, encoded.WrittenSpan);
        }
        if (runStart >= 0) destination.Write(raw!.Bytes[runStart..runEnd]);
        destination.Write(bodyOnly ? "\n  ],\n"u8 : "\n  ]\n}\n"u8);
    }

    /// <summary>A comma, a new line and the indentation of a record in the images array.</summary>
    static ReadOnlySpan<byte> RecordIndent => ",\n    "u8;

    /// <summary>Copies a record encoded at depth 0 to depth 2: four more spaces after each line break (JSON strings never hold a raw line break).</summary>
    static void WriteIndented(Stream destination, ReadOnlySpan<byte> text)
    {
        while (true)
        {
            var lineBreak = text.IndexOf((byte)'\n');
            if (lineBreak < 0)
            {
                destination.Write(text);
                return;
            }
            destination.Write(text[..(lineBreak + 1)]);
            destination.Write("    "u8);
            text = text[(lineBreak + 1)..];
        }
    }

    /// <summary>Writes records as a JSON array (never <c>null</c>).</summary>
    public static void WriteRecords(Utf8JsonWriter writer, IEnumerable<ImageRecord> records)
    {
        writer.WriteStartArray();
        foreach (var record in records) WriteRecord(writer, record);
        writer.WriteEndArray();
    }

    /// <summary>Writes one record as a JSON object.</summary>
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
    public static ImageIndex Deserialize(ReadOnlySpan<byte> utf8) => Deserialize(utf8, rawRanges: null);

    /// <summary>
    /// Parses an index and remembers where each record's text lies in <paramref name="utf8"/>, so a later write can
    /// copy the records it did not change as bytes (<see cref="Serialize(ImageIndex, Stream, RawIndex?)"/>). The
    /// ranges are only offered when the file is in exactly the form this writer produces.
    /// </summary>
    internal static ImageIndex Deserialize(byte[] utf8, out RawIndex? raw)
    {
        var ranges = new RecordSpans();
        var index = Deserialize(utf8, ranges);
        raw = ranges.Count > 0 ? new RawIndex(utf8, ranges, trusted: false, () => IsWrittenByUs(utf8, ranges[0])) : null;
        return index;
    }

    /// <summary>
    /// One streaming pass with <see cref="Utf8JsonReader"/>: no document tree, no copy of the file. On an index of
    /// 10,000 records the tree and its garbage cost more than everything else a <c>tag</c> does.
    /// </summary>
    static ImageIndex Deserialize(ReadOnlySpan<byte> utf8, RecordSpans? rawRanges)
    {
        // Utf8JsonReader reports text that is not valid UTF-8, or a lone escaped surrogate in a name it compares, with
        // InvalidOperationException; a corrupt index must be the same clear error as any other (found by fuzzing).
        try { return DeserializeCore(utf8, rawRanges); }
        catch (InvalidOperationException e) { throw new JsonException(e.Message, e); }
    }

    static ImageIndex DeserializeCore(ReadOnlySpan<byte> utf8, RecordSpans? rawRanges)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowTrailingCommas = false, MaxDepth = 64 });
        if (!reader.Read()) throw new JsonException("the file is empty");
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("the top level is not an object");
        var records = new List<ImageRecord>();
        var sawImages = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("images"u8) || sawImages)
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            sawImages = true;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("\"images\" is not an array");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                ImageRecord record;
                try { record = ReadRecord(ref reader); }
                catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
                {
                    throw new JsonException($"record {records.Count}: {e.Message}", e);
                }
                records.Add(record);
                rawRanges?.Add(record, start, (int)reader.BytesConsumed - start);
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new JsonException("the index does not end where it should");
        // Anything after the top-level object other than whitespace is an error (Read throws on it).
        while (reader.Read()) { }
        return records.Count == 0 ? ImageIndex.Empty : new ImageIndex(records.ToSeq().Strict());
    }

    /// <summary>Decodes the one record whose text is <paramref name="length"/> bytes at <paramref name="start"/> (a deferred record's details).</summary>
    internal static ImageRecord DecodeRecord(byte[] utf8, int start, int length)
    {
        var reader = new Utf8JsonReader(utf8.AsSpan(start, length));
        try
        {
            reader.Read();
            return ReadRecord(ref reader);
        }
        catch (InvalidOperationException e) { throw new JsonException(e.Message, e); }
    }

    /// <summary>
    /// True when the first record's text is byte for byte what this writer makes of it, in its place in the
    /// document. Then every record we did not change can be copied rather than re-encoded. A file written by the
    /// original, or edited by hand, is re-encoded whole once, and is in our form after that.
    /// </summary>
    static bool IsWrittenByUs(byte[] utf8, (ImageRecord Record, int Start, int Length) first)
    {
        var prefix = "{\n  \"images\": [\n    "u8;
        if (first.Start != prefix.Length || !utf8.AsSpan(0, prefix.Length).SequenceEqual(prefix)) return false;
        using var buffer = new MemoryStream();
        Serialize(new ImageIndex(Seq1(first.Record)), buffer, raw: null);
        var expected = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var suffix = "\n  ]\n}\n"u8;
        return expected.Length == prefix.Length + first.Length + suffix.Length
            && expected.Slice(prefix.Length, first.Length).SequenceEqual(utf8.AsSpan(first.Start, first.Length));
    }

    /// <summary>Reads one record object, leaving the reader on its end. A record of the original has no <c>canonical_ref</c>; it is computed here once, so matching never has to parse every record's reference again.</summary>
    static ImageRecord ReadRecord(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a record is not an object");
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
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // An escaped name (\u0069mage_ref) is compared unescaped; its escaping must be read before moving on.
            var name = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
            reader.Read();
            if (!KnownField(name, ref reader, ref imageRef, ref canonicalRef, ref resolvedRef, ref digest,
                    ref indexDigest, ref platform, ref outputPath, ref sizeBytes, ref lastUsedAt, ref createdAt, ref rootfsSha256,
                    ref rootfsImmutable, ref initSha256, ref setuidPolicy, ref env, ref entrypoint, ref cmd, ref config, ref source,
                    ref format, ref builder, ref contentKey, ref layers))
            {
                var fieldName = Encoding.UTF8.GetString(name);
                using var value = JsonDocument.ParseValue(ref reader);
                extensions = extensions.AddOrUpdate(fieldName, Compact(value.RootElement));
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new JsonException("a record does not end where it should");
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

    /// <summary>Decodes a field this version knows into its local; false for any other name (kept as an extension).</summary>
    static bool KnownField(ReadOnlySpan<byte> name, ref Utf8JsonReader reader, ref string imageRef, ref string canonicalRef,
        ref string resolvedRef, ref string digest, ref string indexDigest, ref Platform platform, ref string outputPath,
        ref long sizeBytes, ref Option<DateTimeOffset> lastUsedAt, ref Option<DateTimeOffset> createdAt, ref string rootfsSha256,
        ref bool rootfsImmutable, ref string initSha256, ref string setuidPolicy, ref Seq<string> env, ref Seq<string> entrypoint,
        ref Seq<string> cmd, ref Option<ImageConfig> config, ref string source, ref string format, ref string builder,
        ref string contentKey, ref Seq<string> layers)
    {
        if (name.SequenceEqual("image_ref"u8)) imageRef = Text(ref reader);
        else if (name.SequenceEqual("canonical_ref"u8)) canonicalRef = Text(ref reader);
        else if (name.SequenceEqual("resolved_ref"u8)) resolvedRef = Text(ref reader);
        else if (name.SequenceEqual("digest"u8)) digest = Text(ref reader);
        else if (name.SequenceEqual("index_digest"u8)) indexDigest = Text(ref reader);
        else if (name.SequenceEqual("platform"u8)) platform = ReadPlatform(ref reader);
        else if (name.SequenceEqual("output_path"u8)) outputPath = Text(ref reader);
        else if (name.SequenceEqual("size_bytes"u8)) sizeBytes = reader.TokenType == JsonTokenType.Null ? 0 : reader.GetInt64();
        else if (name.SequenceEqual("last_used_at"u8)) lastUsedAt = Time(ref reader);
        else if (name.SequenceEqual("created_at"u8)) createdAt = Time(ref reader);
        else if (name.SequenceEqual("rootfs_sha256"u8)) rootfsSha256 = Text(ref reader);
        else if (name.SequenceEqual("rootfs_immutable"u8)) rootfsImmutable = reader.TokenType == JsonTokenType.True;
        else if (name.SequenceEqual("init_sha256"u8)) initSha256 = Text(ref reader);
        else if (name.SequenceEqual("setuid_policy"u8)) setuidPolicy = Text(ref reader);
        else if (name.SequenceEqual("image_env"u8)) env = TextList(ref reader);
        else if (name.SequenceEqual("image_entrypoint"u8)) entrypoint = TextList(ref reader);
        else if (name.SequenceEqual("image_cmd"u8)) cmd = TextList(ref reader);
        else if (name.SequenceEqual("image_config"u8)) config = reader.TokenType == JsonTokenType.Null ? None : Some(ReadConfig(ref reader));
        else if (name.SequenceEqual("source"u8)) source = Text(ref reader);
        else if (name.SequenceEqual("format"u8)) format = Text(ref reader);
        else if (name.SequenceEqual("builder"u8)) builder = Text(ref reader);
        else if (name.SequenceEqual("content_key"u8)) contentKey = Text(ref reader);
        else if (name.SequenceEqual("layer_digests"u8)) layers = TextList(ref reader);
        else return false;
        return true;
    }

    /// <summary>Unknown fields are kept as compact JSON, so a read-write-read cycle gives equal records whatever the indentation.</summary>
    static string Compact(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = WriterOptions.Encoder })) value.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>RFC 3339 in UTC, with a fraction only when there is one.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A time field: the ISO 8601 fast path of the reader, else the lenient parse the original's RFC 3339 times
    /// (nanoseconds, offsets) may need; an unreadable time is no time, as before.
    /// </summary>
    static Option<DateTimeOffset> Time(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return None;
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected a time string, found {Describe(reader.TokenType)}");
        if (reader.TryGetDateTimeOffset(out var time)) return Some(time.ToUniversalTime());
        return DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
            ? Some(time) : None;
    }

    static Platform ReadPlatform(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return Platform.Any;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("\"platform\" is not an object");
        string os = "", architecture = "", variant = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("os"u8) ? 1 : reader.ValueTextEquals("architecture"u8) ? 2 : reader.ValueTextEquals("variant"u8) ? 3 : 0;
            reader.Read();
            switch (name)
            {
                case 1: os = Text(ref reader); break;
                case 2: architecture = Text(ref reader); break;
                case 3: variant = Text(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return os.Length == 0 && architecture.Length == 0 && variant.Length == 0 ? Platform.Any : new Platform(os, architecture, variant);
    }

    static ImageConfig ReadConfig(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("\"image_config\" is not an object");
        string user = "", workingDir = "", stopSignal = "";
        var labels = LanguageExt.Map<OrdStringOrdinal, string, string>.Empty;
        var ports = LanguageExt.Seq<string>.Empty;
        var volumes = LanguageExt.Seq<string>.Empty;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "user": user = Text(ref reader); break;
                case "working_dir": workingDir = Text(ref reader); break;
                case "stop_signal": stopSignal = Text(ref reader); break;
                case "exposed_ports": ports = TextList(ref reader); break;
                case "volumes": volumes = TextList(ref reader); break;
                case "labels" when reader.TokenType == JsonTokenType.StartObject:
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = reader.GetString()!;
                        reader.Read();
                        labels = labels.AddOrUpdate(key, Text(ref reader));
                    }
                    break;
                default: reader.Skip(); break;
            }
        }
        return new ImageConfig(user, workingDir, stopSignal, labels, ports, volumes);
    }

    internal static void WriteConfig(Utf8JsonWriter writer, ImageConfig config)
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

    static string Text(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.Null => "",
        _ => throw new JsonException($"expected a string, found {Describe(reader.TokenType)}"),
    };

    static Seq<string> TextList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return LanguageExt.Seq<string>.Empty;
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an array of strings");
        var items = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(Text(ref reader));
        return items.Count == 0 ? LanguageExt.Seq<string>.Empty : items.ToArray().ToSeq().Strict();
    }

    static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.String => "string",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
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
