namespace ImageCache.Contracts;

/// <summary>What a push did.</summary>
/// <param name="ManifestDigest">The digest of the pushed manifest.</param>
/// <param name="BlobsUploaded">Blobs sent.</param>
/// <param name="BlobsSkipped">Blobs the repository already had.</param>
/// <param name="SubjectLink">How the manifest was linked to its subject: <c>referrers-api</c>, <c>tag-fallback</c>, or empty without a subject.</param>
public sealed record ArtifactPushResult(string ManifestDigest, int BlobsUploaded, int BlobsSkipped, string SubjectLink);
