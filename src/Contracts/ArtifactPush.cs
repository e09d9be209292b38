namespace ImageCache.Contracts;

/// <summary>An artifact to push.</summary>
/// <param name="Repository">The target repository, <c>host[:port]/name</c>.</param>
/// <param name="Blobs">Every blob the manifest references (config and layers).</param>
/// <param name="Manifest">The manifest's exact bytes.</param>
/// <param name="MediaType">The manifest's media type.</param>
/// <param name="Tags">Tags to put on the manifest (may be empty).</param>
/// <param name="Insecure">Allow plain HTTP and unverified TLS for a non-loopback registry.</param>
/// <param name="Progress">Receives upload progress; may be null.</param>
public sealed record ArtifactPush(
    string Repository,
    IReadOnlyList<ArtifactBlob> Blobs,
    byte[] Manifest,
    string MediaType,
    IReadOnlyList<string> Tags,
    bool Insecure,
    IProgress<TransferProgress>? Progress);
