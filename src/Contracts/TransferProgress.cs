namespace ImageCache.Contracts;

/// <summary>Progress of one blob transfer.</summary>
/// <param name="Digest">The blob.</param>
/// <param name="Transferred">Bytes done so far.</param>
/// <param name="Total">Bytes in all, or null when unknown.</param>
/// <param name="Reused">True when the blob was already in the store and nothing was transferred.</param>
public sealed record TransferProgress(string Digest, long Transferred, long? Total, bool Reused);
