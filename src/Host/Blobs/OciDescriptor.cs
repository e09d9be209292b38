namespace ImageCache.Host.Blobs;

/// <summary>A descriptor as recorded in <c>index.json</c> (descriptor.md): media type, digest, size and, for an image of an index, its platform.</summary>
public sealed record OciDescriptor(string MediaType, string Digest, long Size, OciPlatform? Platform = null);
