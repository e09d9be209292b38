namespace ImageCache.Host.Operations;

/// <summary>What <see cref="ImageCacheClient.PullAsync"/> pulls and how it builds the baseline.</summary>
/// <param name="Source">TRANSPORT:LOCATION or a registry reference, e.g. <c>busybox:1.36</c>, <c>docker://ghcr.io/o/x:1</c>, <c>oci:DIR:REF</c>, <c>oci-archive:FILE</c>, <c>docker-archive:FILE:REF</c>.</param>
/// <param name="Platform">os/arch[/variant], or null for the fetcher's default.</param>
/// <param name="Builder">The builder plugin's name.</param>
/// <param name="SizeMiB">A fixed image size, or null for the builder's own sizing.</param>
/// <param name="AllowSetuid">Keep setuid/setgid bits (stripped by default).</param>
/// <param name="Insecure">Allow plain HTTP and unverified TLS for a non-loopback registry (<c>--insecure</c>).</param>
/// <param name="PluginDirectories">The folders plugins are loaded from; null for the default ones (beside the app and in the state directory).</param>
public sealed record PullRequest(
    string Source,
    string? Platform = null,
    string Builder = "ext4",
    long? SizeMiB = null,
    bool AllowSetuid = false,
    IReadOnlyList<string>? PluginDirectories = null,
    bool Insecure = false);
