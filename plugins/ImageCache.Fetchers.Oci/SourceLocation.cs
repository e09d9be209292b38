using System.Text.RegularExpressions;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>A parsed <c>PATH[:REF]</c> / <c>PATH@DIGEST</c> location of the <c>oci:</c> and <c>oci-archive:</c> transports.</summary>
/// <param name="Path">The layout directory or archive file, absolute.</param>
/// <param name="Reference">The <c>org.opencontainers.image.ref.name</c> wanted, or null.</param>
/// <param name="Digest">The manifest or index digest wanted, or null.</param>
internal sealed partial record SourceLocation(string Path, string? Reference, string? Digest)
{
    /// <summary>
    /// Splits a location. The rule, in order:
    /// <list type="number">
    /// <item><c>PATH@sha256:HEX</c> (the form of our own resolved references) or <c>PATH:sha256:HEX</c>: a digest,
    /// when PATH exists.</item>
    /// <item><c>PATH:REF</c>, split on the <b>last</b> colon, only when REF is a valid ref name
    /// (image-layout.md grammar) and PATH exists.</item>
    /// <item>Otherwise the whole location is the path, with no reference (so a path may itself contain colons).</item>
    /// </list>
    /// Relative paths are taken from the current directory.
    /// </summary>
    public static SourceLocation Parse(string location, Func<string, bool> exists, string transport)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new ImageSourceException($"{transport}: no path given (expected {transport}:PATH[:REF])");
        if (location.Contains('\0'))
            throw new ImageSourceException($"{transport}: the path contains a NUL character");

        var at = location.LastIndexOf('@');
        if (at > 0 && Digests.IsValid(location[(at + 1)..]) && exists(location[..at]))
            return new SourceLocation(Full(location[..at]), null, location[(at + 1)..]);

        var digest = DigestSuffix().Match(location);
        if (digest.Success && digest.Index > 0 && exists(location[..digest.Index]))
            return new SourceLocation(Full(location[..digest.Index]), null, location[(digest.Index + 1)..]);

        var colon = location.LastIndexOf(':');
        if (colon > 0 && IsRefName(location[(colon + 1)..]) && exists(location[..colon]))
            return new SourceLocation(Full(location[..colon]), location[(colon + 1)..], null);

        return new SourceLocation(Full(location), null, null);
    }

    /// <summary>The <c>org.opencontainers.image.ref.name</c> grammar of image-layout.md.</summary>
    public static bool IsRefName(string text) => RefName().IsMatch(text);

    static string Full(string path) => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path)) is { Length: > 0 } p ? p : "/";

    [GeneratedRegex(@"^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex RefName();

    [GeneratedRegex(@":(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestSuffix();
}
