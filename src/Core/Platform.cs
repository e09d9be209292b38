using LanguageExt;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>A target platform <c>os/architecture[/variant]</c> with Go names.</summary>
/// <param name="Os">e.g. <c>linux</c>; empty in a query means "any".</param>
/// <param name="Architecture">e.g. <c>amd64</c>; empty in a query means "any".</param>
/// <param name="Variant">e.g. <c>v8</c>; empty when none.</param>
public sealed record Platform(string Os, string Architecture, string Variant = "")
{
    /// <summary>The platform with every field empty: matches anything in <see cref="Satisfies"/>.</summary>
    public static readonly Platform Any = new("", "", "");

    /// <summary>The <c>os/arch[/variant]</c> form.</summary>
    public override string ToString() => Variant.Length == 0 ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>Normalises architecture aliases (<c>x86_64</c>, <c>x64</c> → <c>amd64</c>; <c>aarch64</c> → <c>arm64</c>).</summary>
    public static string NormalizeArchitecture(string architecture) => architecture.Trim().ToLowerInvariant() switch
    {
        "x86_64" or "x86-64" or "x64" => "amd64",
        "aarch64" => "arm64",
        "i386" or "i686" or "x86" => "386",
        var other => other,
    };

    /// <summary>Parses <c>os/arch[/variant]</c>, or a bare architecture (then the OS is <c>linux</c>).</summary>
    public static Fin<Platform> Parse(string input)
    {
        var parts = input.Trim().Split('/');
        if (parts.Length > 3 || System.Array.Exists(parts, p => p.Length == 0))
            return CoreErrors.InvalidPlatform(input, "expected os/arch[/variant]");
        foreach (var part in parts)
            foreach (var c in part)
                if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                    return CoreErrors.InvalidPlatform(input, $"unexpected character '{c}'");
        return parts.Length == 1
            ? FinSucc(new Platform("linux", NormalizeArchitecture(parts[0])))
            : FinSucc(new Platform(parts[0].ToLowerInvariant(), NormalizeArchitecture(parts[1]),
                parts.Length == 3 ? parts[2].ToLowerInvariant() : ""));
    }

    /// <summary>
    /// True when this (a record's platform) satisfies <paramref name="wanted"/>: an empty OS or architecture on
    /// either side is a wildcard; a wanted variant must equal this variant (an empty wanted variant accepts any).
    /// </summary>
    public bool Satisfies(Platform wanted) =>
        Compatible(Os, wanted.Os) && Compatible(Architecture, wanted.Architecture) &&
        (wanted.Variant.Length == 0 || wanted.Variant == Variant);

    static bool Compatible(string a, string b) => a.Length == 0 || b.Length == 0 || a == b;
}
