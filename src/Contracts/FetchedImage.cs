namespace ImageCache.Contracts;

/// <summary>One platform image, resolved, with its blobs in the blob store.</summary>
/// <param name="ResolvedReference">Where it came from, pinned: <c>registry/repo@sha256:…</c> or <c>oci:/dir@sha256:…</c>.</param>
/// <param name="ManifestDigest">Digest of the platform manifest.</param>
/// <param name="IndexDigest">Digest of the index or manifest list it was chosen from, or null.</param>
/// <param name="Platform">The platform of the chosen manifest.</param>
/// <param name="ConfigDigest">Digest of the image config blob.</param>
/// <param name="Layers">The layers, base first.</param>
public sealed record FetchedImage(
    string ResolvedReference,
    string ManifestDigest,
    string? IndexDigest,
    PlatformSpec Platform,
    string ConfigDigest,
    IReadOnlyList<LayerDescriptor> Layers);
