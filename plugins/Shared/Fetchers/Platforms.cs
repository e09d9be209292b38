using System.Runtime.InteropServices;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>Platform defaults and matching (oci-rules §3.4: Go GOOS/GOARCH names, variant rules, first match wins).</summary>
internal static class Platforms
{
    /// <summary>The host platform: <c>linux/&lt;arch&gt;</c> with the Go name of the process architecture and no variant.</summary>
    public static PlatformSpec Host { get; } = new("linux", GoArchitecture(RuntimeInformation.OSArchitecture));

    public static string GoArchitecture(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.X86 => "386",
        Architecture.Arm64 => "arm64",
        Architecture.Arm or Architecture.Armv6 => "arm",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.LoongArch64 => "loong64",
        Architecture.RiscV64 => "riscv64",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    /// <summary>Buildx attestation entries (<c>unknown/unknown</c>) are never chosen (docker/buildx#1509).</summary>
    public static bool IsUnknown(PlatformSpec candidate) => candidate.Os == "unknown" || candidate.Architecture == "unknown";

    /// <summary>
    /// Whether <paramref name="candidate"/> satisfies <paramref name="wanted"/>: same os and architecture; an empty wanted
    /// variant accepts any variant; otherwise the variants must be equal, where an absent variant counts as the
    /// architecture's default (<c>arm64</c> → <c>v8</c>, <c>amd64</c> → <c>v1</c>). <c>unknown</c> never matches.
    /// </summary>
    public static bool Matches(PlatformSpec wanted, PlatformSpec candidate)
    {
        if (IsUnknown(candidate)) return false;
        if (!string.Equals(wanted.Os, candidate.Os, StringComparison.Ordinal)
            || !string.Equals(wanted.Architecture, candidate.Architecture, StringComparison.Ordinal)) return false;
        if (wanted.Variant.Length == 0) return true;
        return string.Equals(NormalVariant(wanted), NormalVariant(candidate), StringComparison.Ordinal);
    }

    static string NormalVariant(PlatformSpec platform) => (platform.Architecture, platform.Variant) switch
    {
        ("arm64", "") => "v8",
        ("amd64", "") => "v1",
        _ => platform.Variant,
    };
}
