namespace ImageCache.Contracts;

/// <summary>A manifest as the registry served it.</summary>
/// <param name="Digest">The digest of <paramref name="Content"/> (verified).</param>
/// <param name="MediaType">Its media type (the body's <c>mediaType</c>, else the response's <c>Content-Type</c>).</param>
/// <param name="Content">The exact bytes received.</param>
public sealed record ArtifactManifest(string Digest, string MediaType, byte[] Content);
