using System.Text.Json;
using ImageCache.Core;

namespace ImageCache.Host.Storage;

/// <summary>
/// A <see cref="Provenance"/> as JSON, with the original's field names (<c>rootfs.Provenance</c>, origin §2.6) where it
/// has them: <c>image_ref</c>, <c>resolved_ref</c>, <c>digest</c>, <c>platform</c>, <c>output_path</c>, <c>format</c>,
/// <c>size_bytes</c>, <c>builder</c>, <c>builder_phase</c>, <c>layer_digests</c>, <c>image_env</c>, …,
/// <c>setuid_policy</c>, <c>rootfs_base</c> (<c>sha256</c>, <c>immutable</c>, and our <c>content_key</c>).
/// </summary>
public static class ProvenanceJson
{
    /// <summary>Writes the provenance's fields into the object the writer is in (the caller opens and closes it, and may add fields).</summary>
    public static void WriteFields(Utf8JsonWriter writer, Provenance provenance)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(provenance);
        writer.WriteString("image_ref", provenance.ImageRef);
        WriteIfSet(writer, "resolved_ref", provenance.ResolvedRef);
        WriteIfSet(writer, "digest", provenance.Digest);
        WriteIfSet(writer, "index_digest", provenance.IndexDigest);
        writer.WriteStartObject("platform");
        writer.WriteString("os", provenance.Platform.Os);
        writer.WriteString("architecture", provenance.Platform.Architecture);
        WriteIfSet(writer, "variant", provenance.Platform.Variant);
        writer.WriteEndObject();
        writer.WriteString("output_path", provenance.OutputPath);
        WriteIfSet(writer, "format", provenance.Format);
        writer.WriteNumber("size_bytes", provenance.SizeBytes);
        writer.WriteString("builder", provenance.Builder);
        writer.WriteString("builder_phase", provenance.BuilderPhase);
        WriteIfSet(writer, "source", provenance.Source);
        WriteIfSet(writer, "content_key", provenance.ContentKey);
        WriteList(writer, "layer_digests", provenance.LayerDigests);
        WriteList(writer, "image_env", provenance.ImageEnv);
        WriteList(writer, "image_entrypoint", provenance.ImageEntrypoint);
        WriteList(writer, "image_cmd", provenance.ImageCmd);
        provenance.ImageConfig.IfSome(config => IndexJson.WriteConfig(writer, config));
        writer.WriteString("setuid_policy", provenance.Options.SetuidPolicy);
        WriteIfSet(writer, "init_sha256", provenance.Options.InitSha256);
        provenance.RootfsBase.IfSome(rootfsBase =>
        {
            writer.WriteStartObject("rootfs_base");
            writer.WriteString("sha256", rootfsBase.Sha256);
            writer.WriteBoolean("immutable", rootfsBase.Immutable);
            WriteIfSet(writer, "content_key", rootfsBase.ContentKey);
            writer.WriteEndObject();
        });
    }

    static void WriteIfSet(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0) writer.WriteString(name, value);
    }

    /// <summary>Lists are always written (arrays never <c>null</c>, DESIGN §8).</summary>
    static void WriteList(Utf8JsonWriter writer, string name, LanguageExt.Seq<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
