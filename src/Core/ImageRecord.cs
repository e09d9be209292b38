using System;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core;

/// <summary>
/// One entry of the index: a reference (as typed) on a platform, pointing at a sealed baseline file.
/// JSON field names (Host) follow the Go original; empty strings stand for fields the original omitted.
/// </summary>
public sealed record ImageRecord
{
    /// <summary>The reference as the user typed it (trimmed); for tags, the target. JSON <c>image_ref</c>.</summary>
    public string ImageRef { get; init; } = "";
    /// <summary>Canonical form of <see cref="ImageRef"/> (<c>docker.io/library/busybox:latest</c>); empty when it is not a valid reference. JSON <c>canonical_ref</c>.</summary>
    public string CanonicalRef { get; init; } = "";
    /// <summary><c>registry/repository@manifest-digest</c>. JSON <c>resolved_ref</c>.</summary>
    public string ResolvedRef { get; init; } = "";
    /// <summary>Digest of the platform manifest. JSON <c>digest</c>.</summary>
    public string Digest { get; init; } = "";
    /// <summary>Digest of the multi-arch index the manifest was chosen from; empty when none. JSON <c>index_digest</c>.</summary>
    public string IndexDigest { get; init; } = "";
    /// <summary>The platform. JSON <c>platform</c>.</summary>
    public Platform Platform { get; init; } = Platform.Any;
    /// <summary>Absolute path of the baseline file. JSON <c>output_path</c>.</summary>
    public string OutputPath { get; init; } = "";
    /// <summary>Size of the baseline file in bytes. JSON <c>size_bytes</c>.</summary>
    public long SizeBytes { get; init; }
    /// <summary>When the record was last written or used. JSON <c>last_used_at</c> (RFC 3339, UTC).</summary>
    public Option<DateTimeOffset> LastUsedAt { get; init; }
    /// <summary>When the baseline was first built. JSON <c>created_at</c>.</summary>
    public Option<DateTimeOffset> CreatedAt { get; init; }
    /// <summary>SHA-256 (64 hex) of the sealed file. JSON <c>rootfs_sha256</c>.</summary>
    public string RootfsSha256 { get; init; } = "";
    /// <summary>True once sealed (mode 0444, hash recorded). JSON <c>rootfs_immutable</c>.</summary>
    public bool RootfsImmutable { get; init; }
    /// <summary>SHA-256 of the guest init baked in, or empty. JSON <c>init_sha256</c>.</summary>
    public string InitSha256 { get; init; } = "";
    /// <summary><c>stripped</c>, <c>preserved</c>, or empty for pre-policy records. JSON <c>setuid_policy</c>.</summary>
    public string SetuidPolicy { get; init; } = "";
    /// <summary>Image environment. JSON <c>image_env</c>.</summary>
    public Seq<string> ImageEnv { get; init; }
    /// <summary>Image entrypoint. JSON <c>image_entrypoint</c>.</summary>
    public Seq<string> ImageEntrypoint { get; init; }
    /// <summary>Image command. JSON <c>image_cmd</c>.</summary>
    public Seq<string> ImageCmd { get; init; }
    /// <summary>The rest of the image config. JSON <c>image_config</c>.</summary>
    public Option<ImageConfig> ImageConfig { get; init; }
    /// <summary>Transport it came from (<c>docker</c>, <c>oci</c>, …). JSON <c>source</c>.</summary>
    public string Source { get; init; } = "";
    /// <summary><c>ext4</c> or <c>squashfs</c>. JSON <c>format</c>.</summary>
    public string Format { get; init; } = "";
    /// <summary>The builder that wrote it. JSON <c>builder</c>.</summary>
    public string Builder { get; init; } = "";
    /// <summary>The baseline's content key (64 hex). JSON <c>content_key</c>.</summary>
    public string ContentKey { get; init; } = "";
    /// <summary>Layer blob digests, base first. JSON <c>layer_digests</c>.</summary>
    public Seq<string> LayerDigests { get; init; }
    /// <summary>
    /// Fields this version does not know (for example the original's <c>image_defaults</c>), as raw JSON text
    /// by name, so reading and writing an index never loses them.
    /// </summary>
    public Map<OrdStringOrdinal, string, string> Extensions { get; init; }

    /// <summary>The canonical form of <see cref="ImageRef"/>, computed when <see cref="CanonicalRef"/> is empty (records of the original).</summary>
    public string EffectiveCanonicalRef =>
        CanonicalRef.Length > 0 ? CanonicalRef : Core.ImageRef.CanonicalOf(ImageRef).IfNone("");

    /// <summary>The repository the record belongs to (<c>registry/repository</c>), for per-repository retention; the typed ref when it does not parse.</summary>
    public string RepositoryName =>
        Core.ImageRef.Parse(EffectiveCanonicalRef.Length > 0 ? EffectiveCanonicalRef : ImageRef).Map(r => r.Name).IfFail(ImageRef);
}
