using ImageCache.Contracts;

namespace ImageCache.Host.Operations;

/// <summary>A baseline published to a cache repository.</summary>
/// <param name="Reference">The artifact, pinned: <c>REPO@sha256:…</c>.</param>
/// <param name="Tag">The content-key tag it is published under (<c>baseline-&lt;key&gt;</c>).</param>
/// <param name="Result">What the push did.</param>
public sealed record PublishedBaseline(string Reference, string Tag, ArtifactPushResult Result);
