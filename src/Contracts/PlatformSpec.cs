namespace ImageCache.Contracts;

/// <summary>An OCI platform: <c>os/architecture[/variant]</c> with Go names (<c>linux/arm64/v8</c>).</summary>
/// <param name="Os">Operating system, e.g. <c>linux</c>.</param>
/// <param name="Architecture">Architecture, e.g. <c>amd64</c>.</param>
/// <param name="Variant">Variant, e.g. <c>v7</c>; empty when none.</param>
public sealed record PlatformSpec(string Os, string Architecture, string Variant = "")
{
    /// <summary>The <c>os/arch[/variant]</c> form.</summary>
    public override string ToString() => Variant.Length == 0 ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
