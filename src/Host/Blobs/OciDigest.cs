using System.Security.Cryptography;
using ImageCache.Contracts;

namespace ImageCache.Host.Blobs;

/// <summary>Parses and checks <c>algorithm:encoded</c> digests (image-spec descriptor.md); only sha256 and sha512 are accepted.</summary>
internal static class OciDigest
{
    /// <summary>The algorithm used when the caller gives no expected digest.</summary>
    public const string DefaultAlgorithm = "sha256";

    /// <summary>Splits a digest into (algorithm, hex), refusing anything that is not a well-formed sha256/sha512 digest.</summary>
    /// <exception cref="ImageSourceException">The digest is malformed or uses an unsupported algorithm.</exception>
    public static (string Algorithm, string Hex) Parse(string digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var colon = digest.IndexOf(':');
        if (colon <= 0) throw new ImageSourceException($"malformed digest '{Printable(digest)}': expected ALGORITHM:HEX");
        var algorithm = digest[..colon];
        var hex = digest[(colon + 1)..];
        var length = algorithm switch
        {
            "sha256" => 64,
            "sha512" => 128,
            _ => throw new ImageSourceException($"unsupported digest algorithm '{Printable(algorithm)}' in '{Printable(digest)}': only sha256 and sha512 are supported"),
        };
        if (hex.Length != length || !hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw new ImageSourceException($"malformed digest '{Printable(digest)}': {algorithm} needs {length} lowercase hex digits");
        return (algorithm, hex);
    }

    /// <summary>True when <paramref name="digest"/> is a well-formed supported digest.</summary>
    public static bool IsValid(string digest)
    {
        try { Parse(digest); return true; }
        catch (ImageSourceException) { return false; }
    }

    public static IncrementalHash CreateHash(string algorithm) => algorithm switch
    {
        "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new ImageSourceException($"unsupported digest algorithm '{algorithm}'"),
    };

    public static string Format(string algorithm, byte[] hash) => $"{algorithm}:{Convert.ToHexStringLower(hash)}";

    /// <summary>Keeps error messages to one printable line even when the digest came from a hostile manifest.</summary>
    static string Printable(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 200 ? clean : clean[..200] + "…";
    }
}
