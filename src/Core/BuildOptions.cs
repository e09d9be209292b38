using LanguageExt;

namespace ImageCache.Core;

/// <summary>The options that change a baseline's bytes, and so its content key.</summary>
/// <param name="SizeMiB">A pinned size in MiB, or None for automatic sizing.</param>
/// <param name="InitSha256">SHA-256 of the guest init copied in, or empty when none.</param>
/// <param name="InitPath">Where the init goes in the image (only meaningful with an init).</param>
/// <param name="AllowSetuid">Keep setuid/setgid bits (<c>preserved</c>) instead of stripping them.</param>
/// <param name="Journal">Whether an ext4 journal is written.</param>
public sealed record BuildOptions(Option<long> SizeMiB, string InitSha256, string InitPath, bool AllowSetuid, bool Journal = true)
{
    /// <summary>The defaults: automatic size, no init, setuid stripped, journal on.</summary>
    public static readonly BuildOptions Default = new(Option<long>.None, "", "/sbin/imagecache-init", false);

    /// <summary>The value recorded in <c>setuid_policy</c>.</summary>
    public string SetuidPolicy => AllowSetuid ? "preserved" : "stripped";
}
