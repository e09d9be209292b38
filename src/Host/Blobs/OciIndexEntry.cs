namespace ImageCache.Host.Blobs;

/// <summary>One entry of the layout's <c>index.json</c>: its descriptor and its <c>org.opencontainers.image.ref.name</c> (null when untagged).</summary>
public sealed record OciIndexEntry(OciDescriptor Descriptor, string? RefName);
