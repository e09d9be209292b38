using ImageCache.Contracts;

namespace ImageCache.Host.Tests.Plugins;

/// <summary>A blob store for fetchers that must not touch one.</summary>
internal sealed class UnusedBlobStore : IBlobStore
{
    public bool Contains(string digest) => throw new InvalidOperationException("the fixture must not use the blob store");

    public Stream OpenRead(string digest) => throw new InvalidOperationException("the fixture must not use the blob store");

    public Task<string> PutAsync(Stream content, string? expectedDigest, long? expectedSize, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the fixture must not use the blob store");
}
