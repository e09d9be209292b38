using ImageCache.Core;

namespace ImageCache.Host.Operations;

/// <summary>What <c>verify</c> found for one record.</summary>
/// <param name="Record">The record.</param>
/// <param name="Status">The verdict.</param>
/// <param name="Detail">Why, when not <see cref="VerifyStatus.Ok"/>.</param>
public sealed record VerifyEntry(ImageRecord Record, VerifyStatus Status, string Detail);
