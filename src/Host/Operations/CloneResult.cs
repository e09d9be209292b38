using ImageCache.Core;

namespace ImageCache.Host.Operations;

/// <summary>A private copy made by <see cref="ImageCacheClient.CloneAsync"/>.</summary>
/// <param name="Provenance">The copy's provenance (<see cref="Provenance.OfCopy"/>; <c>size_bytes</c> is the copy's size).</param>
/// <param name="Baseline">The record of the baseline it was copied from.</param>
/// <param name="Method">Reflink or sparse copy.</param>
/// <param name="ContentVerified">True when the baseline's SHA-256 was checked against its record (false: size only).</param>
/// <param name="Grown">True when the copy and its file system were grown (<see cref="CloneRequest.SizeMiB"/>).</param>
public sealed record CloneResult(Provenance Provenance, ImageRecord Baseline, CloneMethod Method, bool ContentVerified, bool Grown);
