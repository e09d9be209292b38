namespace ImageCache.Host.Blobs;

/// <summary>The <c>platform</c> of an index entry (image-index.md): Go GOOS/GOARCH names and an optional variant.</summary>
public sealed record OciPlatform(string Os, string Architecture, string? Variant = null);
