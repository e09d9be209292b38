using System;
using LanguageExt;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>A content digest <c>algorithm:encoded</c> (OCI image-spec descriptor rules).</summary>
/// <param name="Algorithm">e.g. <c>sha256</c>.</param>
/// <param name="Encoded">e.g. 64 lowercase hex digits for sha256.</param>
public sealed record Digest(string Algorithm, string Encoded)
{
    /// <summary>The <c>algorithm:encoded</c> form.</summary>
    public override string ToString() => $"{Algorithm}:{Encoded}";

    /// <summary>The short form shown in listings: 12 characters of the encoded part.</summary>
    public string Short => Encoded.Length > 12 ? Encoded[..12] : Encoded;

    /// <summary>Parses a digest. <c>sha256</c> and <c>sha512</c> are checked strictly (lowercase hex of the right length);
    /// other algorithms only have to match the grammar.</summary>
    public static Fin<Digest> Parse(string input)
    {
        var colon = input.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == input.Length - 1)
            return CoreErrors.InvalidDigest(input, "expected algorithm:encoded");
        var algorithm = input[..colon];
        var encoded = input[(colon + 1)..];
        // algorithm-component [a-z0-9]+ joined by [+._-]
        if (!IsAlgorithm(algorithm))
            return CoreErrors.InvalidDigest(input, "bad algorithm");
        if (!IsEncoded(encoded))
            return CoreErrors.InvalidDigest(input, "bad encoded part");
        var expectedLength = algorithm switch { "sha256" => 64, "sha512" => 128, _ => 0 };
        if (expectedLength > 0 && (encoded.Length != expectedLength || !IsLowerHex(encoded)))
            return CoreErrors.InvalidDigest(input, $"{algorithm} needs {expectedLength} lowercase hex digits");
        return FinSucc(new Digest(algorithm, encoded));
    }

    /// <summary>The SHA-256 digest of <paramref name="bytes"/>.</summary>
    public static Digest Sha256Of(ReadOnlySpan<byte> bytes) =>
        new("sha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));

    /// <summary>True when every character is <c>0-9a-f</c>.</summary>
    public static bool IsLowerHex(string text)
    {
        foreach (var c in text)
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return text.Length > 0;
    }

    static bool IsAlgorithm(string text)
    {
        var previousWasSeparator = true;
        foreach (var c in text)
        {
            var separator = c is '+' or '.' or '_' or '-';
            if (separator && previousWasSeparator) return false;
            if (!separator && !(c is >= 'a' and <= 'z' or >= '0' and <= '9')) return false;
            previousWasSeparator = separator;
        }
        return !previousWasSeparator;
    }

    static bool IsEncoded(string text)
    {
        foreach (var c in text)
            if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '=' or '_' or '-')) return false;
        return true;
    }
}
