namespace ImageCache.Contracts;

/// <summary>A blob to upload.</summary>
/// <param name="Digest">Its digest (<c>sha256:…</c>).</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Open">Opens its content from the start; called again when an upload is retried.</param>
public sealed record ArtifactBlob(string Digest, long Size, Func<CancellationToken, ValueTask<Stream>> Open);
