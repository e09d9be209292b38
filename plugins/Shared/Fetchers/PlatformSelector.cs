using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>
/// Chooses the platform manifest of an index (image-index.md, oci-rules §3.4): the first manifest whose platform
/// matches the wanted one, looking into nested indexes in document order; attestation entries (<c>unknown/unknown</c>)
/// never; unknown media types skipped. Nested indexes are read through <c>readIndex</c>, so any transport can use it.
/// </summary>
/// <param name="source">How errors name the source.</param>
/// <param name="requested">The platform the user asked for, or null for the host's.</param>
/// <param name="readIndex">Reads (and stores) a nested index at the given depth and returns its entries.</param>
internal sealed class PlatformSelector(
    string source,
    PlatformSpec? requested,
    Func<Descriptor, int, CancellationToken, Task<IReadOnlyList<Descriptor>>> readIndex)
{
    /// <summary>The platform looked for.</summary>
    public PlatformSpec Wanted { get; } = requested ?? Platforms.Host;

    /// <summary>
    /// The chosen manifest and the digest of the index it was listed in (<paramref name="indexDigest"/> for the top
    /// level). When nothing matches, the error lists the platforms the image has.
    /// </summary>
    public async Task<(Descriptor Manifest, string? IndexDigest)> SelectAsync(
        IReadOnlyList<Descriptor> entries, string? indexDigest, int depth, CancellationToken cancellationToken)
    {
        var available = new List<string>();
        var found = await SearchAsync(entries, indexDigest, depth, available, cancellationToken).ConfigureAwait(false);
        if (found is { } hit) return hit;
        var list = available.Distinct(StringComparer.Ordinal).ToList();
        throw new ImageSourceException(
            $"{source}: no image for platform {Wanted}{(requested is null ? " (the host's; choose another with --platform)" : "")}; "
            + $"available: {(list.Count == 0 ? "none" : string.Join(", ", list))}");
    }

    async Task<(Descriptor, string?)?> SearchAsync(
        IReadOnlyList<Descriptor> entries, string? indexDigest, int depth, List<string> available, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            if (MediaTypes.IsManifest(entry.MediaType) || MediaTypes.IsSchema1(entry.MediaType))
            {
                if (entry.Platform is not { } platform) { available.Add("(a manifest without platform)"); continue; }
                if (Platforms.IsUnknown(platform)) continue;
                available.Add(platform.ToString());
                if (Platforms.Matches(Wanted, platform)) return (entry, indexDigest);
            }
            else if (MediaTypes.IsIndex(entry.MediaType))
            {
                if (entry.Platform is { } platform && (Platforms.IsUnknown(platform) || !Platforms.Matches(Wanted, platform))) continue;
                if (depth >= ImageDocuments.MaxIndexDepth)
                    throw new ImageSourceException($"{source}: indexes nested more than {ImageDocuments.MaxIndexDepth} deep (at {entry.Digest})");
                var nested = await readIndex(entry, depth, cancellationToken).ConfigureAwait(false);
                var hit = await SearchAsync(nested, entry.Digest, depth + 1, available, cancellationToken).ConfigureAwait(false);
                if (hit is not null) return hit;
            }
            // Unknown media types (artifacts, signatures) are skipped, not errors (image-index.md).
        }
        return null;
    }
}
