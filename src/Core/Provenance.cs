using System;
using System.Diagnostics.Contracts;
using LanguageExt;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>
/// Build provenance as a value: what a filesystem image was made from, by which builder, with which options
/// (the original's <c>rootfs.Provenance</c>). A baseline's record is made from it (<see cref="ToRecord"/>), and a
/// private copy of a baseline has one of its own (<see cref="OfCopy"/>).
/// </summary>
public sealed record Provenance
{
    /// <summary>The name of the builder phase recorded for private copies.</summary>
    public const string CopyPhase = "copy-baseline";
    /// <summary>The builder recorded for private copies.</summary>
    public const string CopyBuilder = "imagecache-image-store";

    /// <summary>The reference as typed.</summary>
    public string ImageRef { get; init; } = "";
    /// <summary><c>registry/repository@digest</c>.</summary>
    public string ResolvedRef { get; init; } = "";
    /// <summary>Platform manifest digest.</summary>
    public string Digest { get; init; } = "";
    /// <summary>Index digest, or empty.</summary>
    public string IndexDigest { get; init; } = "";
    /// <summary>The platform.</summary>
    public Platform Platform { get; init; } = Platform.Any;
    /// <summary>The file written.</summary>
    public string OutputPath { get; init; } = "";
    /// <summary><c>ext4</c> or <c>squashfs</c>.</summary>
    public string Format { get; init; } = "";
    /// <summary>The builder name, or <see cref="CopyBuilder"/>.</summary>
    public string Builder { get; init; } = "";
    /// <summary>The last phase reached (<c>complete</c> for a finished build, <see cref="CopyPhase"/> for a copy).</summary>
    public string BuilderPhase { get; init; } = "";
    /// <summary>Transport of the source (<c>docker</c>, <c>oci</c>, …).</summary>
    public string Source { get; init; } = "";
    /// <summary>The content key of the baseline.</summary>
    public string ContentKey { get; init; } = "";
    /// <summary>Layer digests, base first.</summary>
    public Seq<string> LayerDigests { get; init; }
    /// <summary>Image environment.</summary>
    public Seq<string> ImageEnv { get; init; }
    /// <summary>Image entrypoint.</summary>
    public Seq<string> ImageEntrypoint { get; init; }
    /// <summary>Image command.</summary>
    public Seq<string> ImageCmd { get; init; }
    /// <summary>The rest of the image config.</summary>
    public Option<ImageConfig> ImageConfig { get; init; }
    /// <summary>The build options.</summary>
    public BuildOptions Options { get; init; } = BuildOptions.Default;
    /// <summary>Size of the file written.</summary>
    public long SizeBytes { get; init; }
    /// <summary>For a private copy: the baseline it came from.</summary>
    public Option<RootfsBase> RootfsBase { get; init; }

    /// <summary>
    /// The record for a freshly built baseline (the seed's <c>FromProvenance</c>). Seal fields
    /// (<c>rootfs_sha256</c>, <c>rootfs_immutable</c>) are left for the Host to set once it has sealed the file.
    /// </summary>
    [Pure]
    public ImageRecord ToRecord(DateTimeOffset now) => new()
    {
        ImageRef = ImageRef.Trim(),
        CanonicalRef = Core.ImageRef.CanonicalOf(ImageRef).IfNone(""),
        ResolvedRef = ResolvedRef,
        Digest = Digest,
        IndexDigest = IndexDigest,
        Platform = Platform,
        OutputPath = OutputPath,
        SizeBytes = SizeBytes,
        LastUsedAt = Some(now),
        CreatedAt = Some(now),
        InitSha256 = Options.InitSha256,
        SetuidPolicy = Options.SetuidPolicy,
        ImageEnv = ImageEnv,
        ImageEntrypoint = ImageEntrypoint,
        ImageCmd = ImageCmd,
        ImageConfig = ImageConfig,
        Source = Source,
        Format = Format,
        Builder = Builder,
        ContentKey = ContentKey,
        LayerDigests = LayerDigests,
    };

    /// <summary>The provenance of a private copy of <paramref name="record"/>'s baseline written to <paramref name="outputPath"/> (the seed's <c>Provenance(record, outputPath)</c>).</summary>
    [Pure]
    public static Provenance OfCopy(ImageRecord record, string outputPath) => new()
    {
        ImageRef = record.ImageRef,
        ResolvedRef = record.ResolvedRef,
        Digest = record.Digest,
        IndexDigest = record.IndexDigest,
        Platform = record.Platform,
        OutputPath = outputPath,
        Format = record.Format,
        Builder = CopyBuilder,
        BuilderPhase = CopyPhase,
        Source = record.Source,
        ContentKey = record.ContentKey,
        LayerDigests = record.LayerDigests,
        ImageEnv = record.ImageEnv,
        ImageEntrypoint = record.ImageEntrypoint,
        ImageCmd = record.ImageCmd,
        ImageConfig = record.ImageConfig,
        Options = BuildOptions.Default with { InitSha256 = record.InitSha256, AllowSetuid = record.SetuidPolicy == "preserved" },
        SizeBytes = record.SizeBytes,
        RootfsBase = Some(new RootfsBase(record.RootfsSha256, record.RootfsImmutable, record.ContentKey)),
    };
}
