namespace ImageCache.Contracts;

/// <summary>What to fetch.</summary>
/// <param name="Location">The source without its transport prefix, e.g. <c>docker.io/library/busybox:latest</c> or <c>/tmp/layout:v1</c>.</param>
/// <param name="Platform">The wanted platform (<c>os/arch[/variant]</c>); null means the host's.</param>
/// <param name="Blobs">Where every manifest, config and layer must land.</param>
/// <param name="Insecure">Allow plain HTTP and unverified TLS for non-loopback registries.</param>
/// <param name="Progress">Receives transfer progress; may be null.</param>
public sealed record FetchRequest(
    string Location,
    PlatformSpec? Platform,
    IBlobStore Blobs,
    bool Insecure,
    IProgress<TransferProgress>? Progress)
{
    /// <summary>
    /// A private, empty directory inside the host's state directory where the fetcher may keep temporary files
    /// (for example members spooled out of a compressed archive). The host removes it after the fetch, and after a
    /// crash on its next start, so nothing is ever left outside the state directory. Null from older hosts: then
    /// use a private directory of your own and delete it yourself.
    /// </summary>
    public string? ScratchDirectory { get; init; }

    /// <summary>
    /// False when the host only needs the image resolved: its manifest and config in the blob store (verified as
    /// always), not its layers, because it may find a prebuilt baseline for the content key and never unpack them.
    /// A fetcher may then skip the layer downloads; one that ignores this and stores the layers anyway is correct too.
    /// The host checks the blob store and, when it does need the layers, asks again with true (the default).
    /// </summary>
    public bool LayersNeeded { get; init; } = true;
}
