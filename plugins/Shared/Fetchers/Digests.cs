using System.Security.Cryptography;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>Digest checks the fetchers need before a digest becomes a path or is trusted (image-spec descriptor.md).</summary>
internal static class Digests
{
    /// <summary>
    /// True for a well-formed sha256 (64 lowercase hex) or sha512 (128) digest, the only ones the blob store accepts.
    /// A digest becomes a path under <c>blobs/</c>, so anything else (<c>sha256:../../x</c>) is refused here.
    /// </summary>
    public static bool IsValid(string? digest)
    {
        if (digest is null) return false;
        var colon = digest.IndexOf(':');
        if (colon <= 0) return false;
        var length = digest[..colon] switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        var hex = digest.AsSpan(colon + 1);
        if (hex.Length != length) return false;
        foreach (var c in hex)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        }
        return true;
    }

    /// <exception cref="ImageSourceException">The digest is not a supported, well-formed digest.</exception>
    public static string Require(string? digest, string what)
    {
        if (!IsValid(digest))
            throw new ImageSourceException($"{what} has an invalid or unsupported digest '{Printable(digest ?? "(none)")}' (only sha256 and sha512 are supported)");
        return digest!;
    }

    /// <summary>The digest of <paramref name="bytes"/> with the algorithm of <paramref name="like"/>.</summary>
    public static string Compute(ReadOnlySpan<byte> bytes, string like) =>
        like.StartsWith("sha512:", StringComparison.Ordinal)
            ? "sha512:" + Convert.ToHexStringLower(SHA512.HashData(bytes))
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>One printable line of at most 200 characters, for text that came from a possibly hostile file.</summary>
    public static string Printable(string text)
    {
        var clean = new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]);
        return clean.Length <= 200 ? clean : clean[..200] + "…";
    }
}
