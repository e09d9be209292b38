namespace ImageCache.Host.Operations;

/// <summary>What <see cref="ImageCacheClient.PullAsync"/> pulls and how it builds the baseline.</summary>
/// <param name="Source">TRANSPORT:LOCATION or a registry reference, e.g. <c>busybox:1.36</c>, <c>docker://ghcr.io/o/x:1</c>, <c>oci:DIR:REF</c>, <c>oci-archive:FILE</c>, <c>docker-archive:FILE:REF</c>.</param>
/// <param name="Platform">os/arch[/variant], or null for the fetcher's default.</param>
/// <param name="Builder">The builder plugin's name, or null to let the planner choose (see <paramref name="Format"/>).</param>
/// <param name="SizeMiB">A fixed image size, or null for the builder's own sizing.</param>
/// <param name="AllowSetuid">Keep setuid/setgid bits (stripped by default).</param>
/// <param name="Insecure">Allow plain HTTP and unverified TLS for a non-loopback registry (<c>--insecure</c>).</param>
/// <param name="Format">The filesystem format wanted when no builder is named; null means ext4.</param>
/// <param name="Journal">Write an ext4 journal (default); false (<c>--no-journal</c>) passes <c>journal=false</c> to the builder and keys the baseline apart.</param>
/// <param name="PluginDirectories">The folders plugins are loaded from; null for the default ones (beside the app and in the state directory).</param>
/// <param name="InitFile">A guest init binary (host path) copied into the image, mode 0755, owner 0:0 (<c>--init</c>); its SHA-256 is recorded and keys the baseline.</param>
/// <param name="InitPath">Where the init goes in the image (<c>--init-path</c>, absolute); null for <c>/sbin/imagecache-init</c>. Needs <paramref name="InitFile"/>.</param>
/// <param name="Limits">Extraction limits; null for <see cref="ExtractionLimits.Default"/>.</param>
/// <param name="CacheRepository">A shared cache repository (<c>HOST/NAME</c>, <c>--from</c>): a prebuilt baseline for the content key is taken from there instead of building (docs/fleet.md).</param>
/// <param name="PushToCache">With <see cref="ImageCacheClient.PullWithCacheAsync"/>: publish a baseline built here to <paramref name="CacheRepository"/>.</param>
public sealed record PullRequest(
    string Source,
    string? Platform = null,
    string? Builder = null,
    long? SizeMiB = null,
    bool AllowSetuid = false,
    IReadOnlyList<string>? PluginDirectories = null,
    string? InitFile = null,
    string? InitPath = null,
    ExtractionLimits? Limits = null,
    bool Insecure = false,
    string? Format = null,
    bool Journal = true,
    string? CacheRepository = null,
    bool PushToCache = false);
