namespace ImageCache.Contracts;

/// <summary>The host's content-addressed blob store (an OCI image layout), shared by every fetcher.</summary>
public interface IBlobStore
{
    /// <summary>True when a verified blob with this digest (<c>sha256:…</c>) is present.</summary>
    bool Contains(string digest);

    /// <summary>Opens a stored blob for reading.</summary>
    /// <exception cref="FileNotFoundException">The blob is not present.</exception>
    Stream OpenRead(string digest);

    /// <summary>
    /// Copies <paramref name="content"/> into the store, verifying it against <paramref name="expectedDigest"/>
    /// (and <paramref name="expectedSize"/> when not null) before it becomes visible. Returns the digest.
    /// </summary>
    /// <exception cref="ImageSourceException">The content does not match the digest or size; nothing is stored.</exception>
    Task<string> PutAsync(Stream content, string? expectedDigest, long? expectedSize, CancellationToken cancellationToken);
}
