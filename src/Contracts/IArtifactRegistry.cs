namespace ImageCache.Contracts;

/// <summary>
/// Moves OCI artifacts to and from a registry repository: the transport under fleet sharing (docs/fleet.md). The host
/// owns the artifact format (what the manifest, config and layers hold); an implementation owns the wire: authentication,
/// retries, resumed downloads, digest verification, blob upload and the referrers link to a manifest's <c>subject</c>.
/// </summary>
/// <remarks>
/// A plugin offers one by registering it in <see cref="IImageCachePlugin.Register"/> as a keyed singleton whose key is
/// the transport it serves (<c>docker</c> for registries). Implementations must be safe to call concurrently.
/// </remarks>
public interface IArtifactRegistry
{
    /// <summary>
    /// The manifest <paramref name="reference"/> (a tag or digest) names in <paramref name="repository"/>
    /// (<c>host[:port]/name</c>), its digest verified over the exact bytes received; null when there is none.
    /// </summary>
    /// <exception cref="ImageSourceException">The registry is unreachable, refuses access, or sent inconsistent content.</exception>
    Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, bool insecure, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the blob <paramref name="digest"/> of <paramref name="repository"/> to <paramref name="destination"/>,
    /// resuming broken downloads; throws after the last byte when the content does not match the digest or size.
    /// </summary>
    /// <exception cref="ImageSourceException">Missing blob, transport failure, or a digest or size mismatch.</exception>
    Task DownloadBlobAsync(string repository, string digest, long size, bool insecure, Stream destination,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Uploads the blobs the repository lacks, then the manifest by digest and under each tag. When the manifest has a
    /// <c>subject</c>, it is linked to it through the referrers API or, where the registry lacks it, the referrers tag
    /// fallback (<c>sha256-&lt;hex&gt;</c> holding an index). Pushing the same bytes twice, or from two hosts at once, is harmless.
    /// </summary>
    /// <exception cref="ImageSourceException">The registry is unreachable, refuses the push, or rejects a blob or the manifest.</exception>
    Task<ArtifactPushResult> PushAsync(ArtifactPush push, CancellationToken cancellationToken);
}
