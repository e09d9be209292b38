using System.Text;
using System.Text.Json;
using ImageCache.Core;
using LanguageExt;

namespace ImageCache.Host.Storage;

/// <summary>
/// Reads an index file whose checksum holds (<see cref="IndexChecksum"/>) by lines instead of by JSON tokens: for
/// each record only its keys (<c>image_ref</c> … <c>output_path</c>, the first lines of a record we write) are
/// decoded, and the rest is deferred (<see cref="ImageRecord.DeferDetails(ImageRecord, Func{ImageRecord})"/>) to a JSON read of that record alone
/// when something asks for it. Finding the next record is one vectorised search for its closing line. On an index
/// of 10,000 records this takes ~20 ms in a fresh CLI process (most of it the keys' strings on a new heap) where the
/// full JSON read took ~70; a <c>tag</c> decodes the one record it copies, and the writer copies the others' bytes.
/// </summary>
internal static class IndexScanner
{
    static ReadOnlySpan<byte> Opening => "{\n  \"images\": [\n"u8;
    static ReadOnlySpan<byte> EmptyBody => "{\n  \"images\": [],\n"u8;
    static ReadOnlySpan<byte> BodyEnd => "\n  ],\n"u8;
    static ReadOnlySpan<byte> RecordOpening => "    {\n"u8;
    static ReadOnlySpan<byte> RecordClosing => "\n    }"u8;
    static ReadOnlySpan<byte> NextRecord => ",\n"u8;
    static ReadOnlySpan<byte> FieldIndent => "      \""u8;
    static ReadOnlySpan<byte> PlatformFieldIndent => "        \""u8;
    static ReadOnlySpan<byte> PlatformEnd => "      },\n"u8;

    /// <summary>
    /// The index in <paramref name="utf8"/> (whose first <paramref name="bodyLength"/> bytes precede a checksum that
    /// holds), with deferred records, and where each record's text lies; false when a line is not in the form this
    /// scanner knows (the caller then reads the file with the full JSON reader).
    /// </summary>
    public static bool TryScan(byte[] utf8, int bodyLength, out ImageIndex index, out RawIndex? raw)
    {
        index = ImageIndex.Empty;
        raw = null;
        var body = utf8.AsSpan(0, bodyLength);
        if (body.SequenceEqual(EmptyBody)) return true;
        if (!body.StartsWith(Opening) || !body.EndsWith(BodyEnd)) return false;

        // One pass. (Scanning two halves on two threads measured no faster in the CLI: the second core is busy
        // with IndexCodeWarmup at that moment.)
        var records = new List<ImageRecord>();
        var ranges = new RecordSpans();
        var platforms = new PlatformCache();
        var strings = new RepeatedStrings();
        var position = Opening.Length;
        while (true)
        {
            if (!body[position..].StartsWith(RecordOpening)) return false;
            var recordStart = position + RecordOpening.Length - 2; // the '{'
            var cursor = position + RecordOpening.Length;
            if (!TryReadKeys(body, ref cursor, platforms, strings, out var keys, out var canonicalComputed)) return false;
            var closing = body[cursor..].IndexOf(RecordClosing);
            if (closing < 0) return false;
            var recordEnd = cursor + closing + RecordClosing.Length; // just after the '}'
            var recordLength = recordEnd - recordStart;
            var record = ImageRecord.DeferDetails(keys.ImageRef, keys.CanonicalRef, keys.ResolvedRef, keys.Digest,
                keys.IndexDigest, keys.Platform, keys.OutputPath, () => IndexJson.DecodeRecord(utf8, recordStart, recordLength));
            records.Add(record);
            // A record whose canonical_ref was computed here would encode with it: it is encoded, not copied.
            if (!canonicalComputed) ranges.Add(record, recordStart, recordLength);

            var rest = body[recordEnd..];
            if (rest.Length == BodyEnd.Length && rest.SequenceEqual(BodyEnd)) break;
            if (!rest.StartsWith(NextRecord)) return false;
            position = recordEnd + NextRecord.Length;
        }
        index = new ImageIndex(records.ToArray().ToSeq().Strict());
        raw = new RawIndex(utf8, ranges, trusted: true);
        return true;
    }

    /// <summary>The keys of one record, as read.</summary>
    readonly record struct Keys(string ImageRef, string CanonicalRef, string ResolvedRef, string Digest, string IndexDigest,
        Platform Platform, string OutputPath);

    /// <summary>Reads the key lines at the start of a record, leaving <paramref name="cursor"/> on the first other line.</summary>
    static bool TryReadKeys(ReadOnlySpan<byte> body, ref int cursor, PlatformCache platforms, RepeatedStrings strings, out Keys keys, out bool canonicalComputed)
    {
        keys = default;
        canonicalComputed = false;
        string imageRef = "", canonicalRef = "", resolvedRef = "", digest = "", indexDigest = "", outputPath = "";
        Platform? platform = null;
        var first = true;
        while (TryReadName(body, ref cursor, FieldIndent, out var name))
        {
            if (first && !name.SequenceEqual("image_ref"u8)) return false;
            first = false;
            if (name.SequenceEqual("platform"u8))
            {
                if (platform is not null || !TryReadPlatform(body, ref cursor, platforms, out platform)) return false;
                continue;
            }
            int field;
            if (name.SequenceEqual("image_ref"u8)) field = RepeatedStrings.ImageRef;
            else if (name.SequenceEqual("canonical_ref"u8)) field = RepeatedStrings.CanonicalRef;
            else if (name.SequenceEqual("resolved_ref"u8)) field = RepeatedStrings.ResolvedRef;
            else if (name.SequenceEqual("digest"u8)) field = RepeatedStrings.Digest;
            else if (name.SequenceEqual("index_digest"u8)) field = RepeatedStrings.IndexDigest;
            else if (name.SequenceEqual("output_path"u8)) field = RepeatedStrings.OutputPath;
            else break; // the first detail: the keys are all read (the writer puts them first)
            if (!TryReadStringLine(body, ref cursor, strings, field, out var value)) return false;
            switch (field)
            {
                case RepeatedStrings.ImageRef: imageRef = value; break;
                case RepeatedStrings.CanonicalRef: canonicalRef = value; break;
                case RepeatedStrings.ResolvedRef: resolvedRef = value; break;
                case RepeatedStrings.Digest: digest = value; break;
                case RepeatedStrings.IndexDigest: indexDigest = value; break;
                default: outputPath = value; break;
            }
        }
        if (first || platform is null) return false; // every record we write has image_ref and platform
        // As the full reader does: a record without canonical_ref gets it computed once here.
        if (canonicalRef.Length == 0)
        {
            canonicalRef = ImageCache.Core.ImageRef.CanonicalOf(imageRef).IfNone("");
            canonicalComputed = canonicalRef.Length > 0;
        }
        keys = new Keys(imageRef, canonicalRef, resolvedRef, digest, indexDigest, platform, outputPath);
        return true;
    }

    /// <summary>
    /// At <c>INDENT"name": </c>: yields the name and moves <paramref name="cursor"/> to its value; does not move it
    /// otherwise (a line that is not a field at this depth).
    /// </summary>
    static bool TryReadName(ReadOnlySpan<byte> body, ref int cursor, ReadOnlySpan<byte> indent, out ReadOnlySpan<byte> name)
    {
        name = default;
        var line = body[cursor..];
        if (!line.StartsWith(indent)) return false;
        var afterQuote = line[indent.Length..];
        var quote = afterQuote.IndexOfAny((byte)'"', (byte)'\\');
        if (quote < 0 || afterQuote[quote] != '"' || !afterQuote[(quote + 1)..].StartsWith(": "u8)) return false;
        name = afterQuote[..quote];
        cursor += indent.Length + quote + 3;
        return true;
    }

    /// <summary>At a string value: decodes it and moves past its line (<c>,\n</c> or <c>\n</c>).</summary>
    static bool TryReadStringLine(ReadOnlySpan<byte> body, ref int cursor, out string value) =>
        TryReadStringLine(body, ref cursor, strings: null, field: 0, out value);

    /// <summary>
    /// As <see cref="TryReadStringLine(ReadOnlySpan{byte}, ref int, out string)"/>; a key whose text repeats one just
    /// read (<see cref="RepeatedStrings"/>) is given that string rather than a new one.
    /// </summary>
    static bool TryReadStringLine(ReadOnlySpan<byte> body, ref int cursor, RepeatedStrings? strings, int field, out string value)
    {
        value = "";
        var text = body[cursor..];
        if (text.IsEmpty || text[0] != '"') return false;
        var inner = text[1..];
        var stop = inner.IndexOfAny((byte)'"', (byte)'\\', (byte)'\n');
        if (stop < 0 || inner[stop] == '\n') return false;
        int literalLength;
        if (inner[stop] == '"')
        {
            value = strings?.Find(body, field, inner[..stop]) ?? Encoding.UTF8.GetString(inner[..stop]);
            strings?.Remember(field, cursor + 1, stop, value);
            literalLength = stop + 2;
        }
        else
        {
            // Escapes are rare here (a name with a quote or a control character): let the JSON reader undo them.
            var lineEnd = text.IndexOf((byte)'\n');
            if (lineEnd < 0) return false;
            var reader = new Utf8JsonReader(text[..lineEnd]);
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String) return false;
                value = reader.GetString()!;
                literalLength = (int)reader.BytesConsumed;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { return false; }
        }
        var after = text[literalLength..];
        if (after.StartsWith(",\n"u8)) cursor += literalLength + 2;
        else if (after.StartsWith("\n"u8)) cursor += literalLength + 1;
        else return false;
        return true;
    }

    /// <summary>At <c>{</c> of the platform: reads os, architecture and variant, and the closing line.</summary>
    static bool TryReadPlatform(ReadOnlySpan<byte> body, ref int cursor, PlatformCache platforms, out Platform? platform)
    {
        platform = null;
        if (!body[cursor..].StartsWith("{\n"u8)) return false;
        cursor += 2;
        string os = "", architecture = "", variant = "";
        while (TryReadName(body, ref cursor, PlatformFieldIndent, out var name))
        {
            ref string field = ref os;
            if (name.SequenceEqual("os"u8)) field = ref os;
            else if (name.SequenceEqual("architecture"u8)) field = ref architecture;
            else if (name.SequenceEqual("variant"u8)) field = ref variant;
            else return false;
            if (!TryReadStringLine(body, ref cursor, out field)) return false;
        }
        if (!body[cursor..].StartsWith(PlatformEnd)) return false;
        cursor += PlatformEnd.Length;
        platform = platforms.Get(os, architecture, variant);
        return true;
    }

    /// <summary>
    /// The last text of each key field and its string. Tags of one image lie next to each other and share their
    /// resolved reference, digest and path, and a fully written reference is its own canonical form: such a key
    /// reuses the string already made (fewer strings on a fresh heap, whose pages cost ~2 µs each here).
    /// </summary>
    sealed class RepeatedStrings
    {
        public const int ImageRef = 0, CanonicalRef = 1, ResolvedRef = 2, Digest = 3, IndexDigest = 4, OutputPath = 5;
        readonly (int Start, int Length, string Value)[] last = new (int, int, string)[6];

        /// <summary>The string of <paramref name="field"/>'s last text, or (for canonical_ref) of this record's image_ref, when <paramref name="text"/> is the same bytes.</summary>
        public string? Find(ReadOnlySpan<byte> body, int field, ReadOnlySpan<byte> text)
        {
            if (field == CanonicalRef && Same(body, last[ImageRef], text)) return last[ImageRef].Value;
            return Same(body, last[field], text) ? last[field].Value : null;
        }

        public void Remember(int field, int start, int length, string value) => last[field] = (start, length, value);

        static bool Same(ReadOnlySpan<byte> body, (int Start, int Length, string Value) seen, ReadOnlySpan<byte> text) =>
            seen.Value is not null && seen.Length == text.Length && body.Slice(seen.Start, seen.Length).SequenceEqual(text);
    }

    /// <summary>One <see cref="Platform"/> object per distinct platform: an index has a handful among thousands of records.</summary>
    sealed class PlatformCache
    {
        readonly List<Platform> seen = [];

        public Platform Get(string os, string architecture, string variant)
        {
            if (os.Length == 0 && architecture.Length == 0 && variant.Length == 0) return Platform.Any; // as the full reader
            foreach (var platform in seen)
                if (platform.Os == os && platform.Architecture == architecture && platform.Variant == variant) return platform;
            var made = new Platform(os, architecture, variant);
            seen.Add(made);
            return made;
        }
    }
}
