namespace ImageCache.Host.Operations;

/// <summary>What <see cref="ImageCacheClient.PullAsync"/> pulls and how it builds the baseline.</summary>
/// <param name="Source">TRANSPORT:LOCATION, e.g. <c>oci:DIR:REF</c>, <c>oci-archive:FILE</c>, <c>docker-archive:FILE:REF</c>.</param>
/// <param name="Platform">os/arch[/variant], or null for the fetcher's default.</param>
/// <param name="Builder">The builder plugin's name, or null to let the planner choose (see <paramref name="Format"/>).</param>
/// <param name="SizeMiB">A fixed image size, or null for the builder's own sizing.</param>
/// <param name="AllowSetuid">Keep setuid/setgid bits (stripped by default).</param>
/// <param name="Format">The filesystem format wanted when no builder is named; null means ext4.</param>
/// <param name="PluginDirectories">The folders plugins are loaded from; null for the default ones (beside the app and in the state directory).</param>
public sealed record PullRequest(
    string Source,
    string? Platform = null,
    string? Builder = null,
    long? SizeMiB = null,
    bool AllowSetuid = false,
    IReadOnlyList<string>? PluginDirectories = null,
    string? Format = null);
