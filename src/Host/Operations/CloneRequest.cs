namespace ImageCache.Host.Operations;

/// <summary>What <see cref="ImageCacheClient.CloneAsync"/> copies, and where.</summary>
/// <param name="Reference">The baseline: any reference <c>inspect</c> accepts (name, name:tag, repo@digest, digest, unique digest prefix).</param>
/// <param name="Destination">The copy's path: outside the state directory, in an existing directory; it must not exist unless <paramref name="Force"/>.</param>
/// <param name="SizeMiB">Grow the copy and its ext4 file system to this size (<c>--size-mib</c>); null keeps the baseline's size. Never shrinks.</param>
/// <param name="Force">Replace an existing file at <paramref name="Destination"/> (atomically, by rename).</param>
/// <param name="VerifyContent">Check the baseline's SHA-256 against its record while copying (default); false checks only its size.</param>
/// <param name="AllowReflink">Try a reflink first (default); false always makes a sparse copy.</param>
public sealed record CloneRequest(
    string Reference,
    string Destination,
    long? SizeMiB = null,
    bool Force = false,
    bool VerifyContent = true,
    bool AllowReflink = true);
