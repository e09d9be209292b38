using System;
using System.Collections.Generic;
using System.Threading;
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
    public long SizeBytes { get => Details.sizeBytes; init { OwnDetails(); sizeBytes = value; } }
    /// <summary>When the record was last written or used. JSON <c>last_used_at</c> (RFC 3339, UTC).</summary>
    public Option<DateTimeOffset> LastUsedAt { get => Details.lastUsedAt; init { OwnDetails(); lastUsedAt = value; } }
    /// <summary>When the baseline was first built. JSON <c>created_at</c>.</summary>
    public Option<DateTimeOffset> CreatedAt { get => Details.createdAt; init { OwnDetails(); createdAt = value; } }
    /// <summary>SHA-256 (64 hex) of the sealed file. JSON <c>rootfs_sha256</c>.</summary>
    public string RootfsSha256 { get => Details.rootfsSha256; init { OwnDetails(); rootfsSha256 = value; } }
    /// <summary>True once sealed (mode 0444, hash recorded). JSON <c>rootfs_immutable</c>.</summary>
    public bool RootfsImmutable { get => Details.rootfsImmutable; init { OwnDetails(); rootfsImmutable = value; } }
    /// <summary>SHA-256 of the guest init baked in, or empty. JSON <c>init_sha256</c>.</summary>
    public string InitSha256 { get => Details.initSha256; init { OwnDetails(); initSha256 = value; } }
    /// <summary><c>stripped</c>, <c>preserved</c>, or empty for pre-policy records. JSON <c>setuid_policy</c>.</summary>
    public string SetuidPolicy { get => Details.setuidPolicy; init { OwnDetails(); setuidPolicy = value; } }
    /// <summary>Image environment. JSON <c>image_env</c>.</summary>
    public Seq<string> ImageEnv { get => Details.imageEnv; init { OwnDetails(); imageEnv = value; } }
    /// <summary>Image entrypoint. JSON <c>image_entrypoint</c>.</summary>
    public Seq<string> ImageEntrypoint { get => Details.imageEntrypoint; init { OwnDetails(); imageEntrypoint = value; } }
    /// <summary>Image command. JSON <c>image_cmd</c>.</summary>
    public Seq<string> ImageCmd { get => Details.imageCmd; init { OwnDetails(); imageCmd = value; } }
    /// <summary>The rest of the image config. JSON <c>image_config</c>.</summary>
    public Option<ImageConfig> ImageConfig { get => Details.imageConfig; init { OwnDetails(); imageConfig = value; } }
    /// <summary>Transport it came from (<c>docker</c>, <c>oci</c>, …). JSON <c>source</c>.</summary>
    public string Source { get => Details.source; init { OwnDetails(); source = value; } }
    /// <summary><c>ext4</c> or <c>squashfs</c>. JSON <c>format</c>.</summary>
    public string Format { get => Details.format; init { OwnDetails(); format = value; } }
    /// <summary>The builder that wrote it. JSON <c>builder</c>.</summary>
    public string Builder { get => Details.builder; init { OwnDetails(); builder = value; } }
    /// <summary>The baseline's content key (64 hex). JSON <c>content_key</c>.</summary>
    public string ContentKey { get => Details.contentKey; init { OwnDetails(); contentKey = value; } }
    /// <summary>Layer blob digests, base first. JSON <c>layer_digests</c>.</summary>
    public Seq<string> LayerDigests { get => Details.layerDigests; init { OwnDetails(); layerDigests = value; } }
    /// <summary>
    /// Fields this version does not know (for example the original's <c>image_defaults</c>), as raw JSON text
    /// by name, so reading and writing an index never loses them.
    /// </summary>
    public Map<OrdStringOrdinal, string, string> Extensions { get => Details.extensions; init { OwnDetails(); extensions = value; } }

    // The details: every field but the reference, digests, platform and path. A record read from a large index
    // defers them (DeferDetails): finding, sorting and replacing records needs only the keys, and decoding every
    // field of 10,000 records costs more than the rest of a `tag`.
    long sizeBytes;
    Option<DateTimeOffset> lastUsedAt, createdAt;
    string rootfsSha256 = "", initSha256 = "", setuidPolicy = "", source = "", format = "", builder = "", contentKey = "";
    bool rootfsImmutable;
    Seq<string> imageEnv, imageEntrypoint, imageCmd, layerDigests;
    Option<ImageConfig> imageConfig;
    Map<OrdStringOrdinal, string, string> extensions;
    Func<ImageRecord>? decodeWhole;
    ImageRecord? decoded;

    /// <summary>
    /// A record with the keys of <paramref name="keys"/> (<see cref="ImageRef"/>, <see cref="CanonicalRef"/>,
    /// <see cref="ResolvedRef"/>, <see cref="Digest"/>, <see cref="IndexDigest"/>, <see cref="Platform"/>,
    /// <see cref="OutputPath"/>) whose other fields come from <paramref name="decodeWhole"/> the first time one is
    /// read. <paramref name="decodeWhole"/> must be pure and return the whole record with the same keys; it is
    /// called at most once per record read (a benign race may call it twice).
    /// </summary>
    public static ImageRecord DeferDetails(ImageRecord keys, Func<ImageRecord> decodeWhole)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return DeferDetails(keys.ImageRef, keys.CanonicalRef, keys.ResolvedRef, keys.Digest, keys.IndexDigest, keys.Platform,
            keys.OutputPath, decodeWhole);
    }

    /// <summary>
    /// As <see cref="DeferDetails(ImageRecord, Func{ImageRecord})"/>, from the keys themselves: one object per record
    /// rather than a record of keys and its deferred copy (a reader of 10,000 records allocates ~3 MB less).
    /// </summary>
    public static ImageRecord DeferDetails(string imageRef, string canonicalRef, string resolvedRef, string digest,
        string indexDigest, Platform platform, string outputPath, Func<ImageRecord> decodeWhole)
    {
        ArgumentNullException.ThrowIfNull(imageRef);
        ArgumentNullException.ThrowIfNull(canonicalRef);
        ArgumentNullException.ThrowIfNull(resolvedRef);
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(indexDigest);
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(decodeWhole);
        return new ImageRecord
        {
            ImageRef = imageRef, CanonicalRef = canonicalRef, ResolvedRef = resolvedRef, Digest = digest,
            IndexDigest = indexDigest, Platform = platform, OutputPath = outputPath, decodeWhole = decodeWhole,
        };
    }

    /// <summary>The record that holds the details: this one, or the decoded whole of a deferred one.</summary>
    ImageRecord Details
    {
        get
        {
            if (decodeWhole is null) return this;
            var whole = Volatile.Read(ref decoded);
            if (whole is not null) return whole;
            whole = decodeWhole();
            if (whole.decodeWhole is not null) throw new InvalidOperationException("a deferred record decoded to another deferred record");
            Volatile.Write(ref decoded, whole);
            return whole;
        }
    }

    /// <summary>
    /// Before an init accessor of a detail sets its field (in a <c>with</c> on a deferred record): copies the
    /// decoded details in, so the new record owns all of them.
    /// </summary>
    void OwnDetails()
    {
        if (decodeWhole is null) return;
        var whole = Details;
        sizeBytes = whole.sizeBytes;
        lastUsedAt = whole.lastUsedAt;
        createdAt = whole.createdAt;
        rootfsSha256 = whole.rootfsSha256;
        rootfsImmutable = whole.rootfsImmutable;
        initSha256 = whole.initSha256;
        setuidPolicy = whole.setuidPolicy;
        imageEnv = whole.imageEnv;
        imageEntrypoint = whole.imageEntrypoint;
        imageCmd = whole.imageCmd;
        imageConfig = whole.imageConfig;
        source = whole.source;
        format = whole.format;
        builder = whole.builder;
        contentKey = whole.contentKey;
        layerDigests = whole.layerDigests;
        extensions = whole.extensions;
        decodeWhole = null;
        decoded = null;
    }

    /// <summary>Value equality over every public field, whether its details are deferred or not.</summary>
    public bool Equals(ImageRecord? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null) return false;
        if (ImageRef != other.ImageRef || CanonicalRef != other.CanonicalRef || ResolvedRef != other.ResolvedRef ||
            Digest != other.Digest || IndexDigest != other.IndexDigest || OutputPath != other.OutputPath ||
            !EqualityComparer<Platform>.Default.Equals(Platform, other.Platform))
            return false;
        var (a, b) = (Details, other.Details);
        return a.sizeBytes == b.sizeBytes && a.rootfsImmutable == b.rootfsImmutable &&
            a.rootfsSha256 == b.rootfsSha256 && a.initSha256 == b.initSha256 && a.setuidPolicy == b.setuidPolicy &&
            a.source == b.source && a.format == b.format && a.builder == b.builder && a.contentKey == b.contentKey &&
            a.lastUsedAt.Equals(b.lastUsedAt) && a.createdAt.Equals(b.createdAt) &&
            a.imageEnv.Equals(b.imageEnv) && a.imageEntrypoint.Equals(b.imageEntrypoint) && a.imageCmd.Equals(b.imageCmd) &&
            a.layerDigests.Equals(b.layerDigests) && a.imageConfig.Equals(b.imageConfig) && a.extensions.Equals(b.extensions);
    }

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ImageRef);
        hash.Add(CanonicalRef);
        hash.Add(ResolvedRef);
        hash.Add(Digest);
        hash.Add(IndexDigest);
        hash.Add(Platform);
        hash.Add(OutputPath);
        var details = Details;
        hash.Add(details.sizeBytes);
        hash.Add(details.rootfsSha256);
        hash.Add(details.contentKey);
        hash.Add(details.lastUsedAt);
        return hash.ToHashCode();
    }

    /// <summary>The canonical form of <see cref="ImageRef"/>, computed when <see cref="CanonicalRef"/> is empty (records of the original).</summary>
    public string EffectiveCanonicalRef =>
        CanonicalRef.Length > 0 ? CanonicalRef : Core.ImageRef.CanonicalOf(ImageRef).IfNone("");

    /// <summary>The repository the record belongs to (<c>registry/repository</c>), for per-repository retention; the typed ref when it does not parse.</summary>
    public string RepositoryName =>
        Core.ImageRef.Parse(EffectiveCanonicalRef.Length > 0 ? EffectiveCanonicalRef : ImageRef).Map(r => r.Name).IfFail(ImageRef);
}
