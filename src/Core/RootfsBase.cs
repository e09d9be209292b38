namespace ImageCache.Core;

/// <summary>The sealed baseline a private copy was made from.</summary>
/// <param name="Sha256">The baseline's <c>rootfs_sha256</c>.</param>
/// <param name="Immutable">Whether the baseline was sealed.</param>
/// <param name="ContentKey">The baseline's content key.</param>
public sealed record RootfsBase(string Sha256, bool Immutable, string ContentKey);
