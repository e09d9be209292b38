namespace ImageCache.Contracts;

/// <summary>A layer blob of an image.</summary>
/// <param name="Digest">Digest of the blob as stored (compressed).</param>
/// <param name="MediaType">Its media type; compression is also sniffed from magic bytes.</param>
/// <param name="Size">Size of the blob in bytes.</param>
/// <param name="DiffId">Digest of the uncompressed tar (<c>rootfs.diff_ids[i]</c>), or null when unknown.</param>
public sealed record LayerDescriptor(string Digest, string MediaType, long Size, string? DiffId);
