using System.Globalization;
using ImageCache.Contracts;

namespace ImageCache.Samples.HttpTarball;

/// <summary>A parsed tarball URL: where to download from, the pinned digest and the size caps from its fragment.</summary>
/// <param name="Url">The URL without its fragment.</param>
/// <param name="PinnedSha256">The lowercase hex sha256 the download must have, or null when not pinned.</param>
/// <param name="MaxBytes">The largest download accepted.</param>
/// <param name="MaxExpandedBytes">The largest uncompressed tar accepted (guards against decompression bombs).</param>
public sealed record TarballLocation(Uri Url, string? PinnedSha256, long MaxBytes, long MaxExpandedBytes)
{
    /// <summary>Default download cap: 8 GiB.</summary>
    public const long DefaultMaxBytes = 8L << 30;

    /// <summary>Default cap of the uncompressed tar: 32 GiB.</summary>
    public const long DefaultMaxExpandedBytes = 32L << 30;

    static readonly string[] Suffixes = [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.zstd"];

    /// <summary>Parses <c>TRANSPORT:LOCATION</c>, e.g. <c>https</c> and <c>//example.com/rootfs.tar.gz#sha256=…</c>.</summary>
    /// <exception cref="ImageSourceException">The URL or a fragment parameter is not valid.</exception>
    public static TarballLocation Parse(string transport, string location)
    {
        var text = $"{transport}:{location}";
        var hash = text.IndexOf('#', StringComparison.Ordinal);
        var fragment = hash < 0 ? "" : text[(hash + 1)..];
        var address = hash < 0 ? text : text[..hash];
        if (!Uri.TryCreate(address, UriKind.Absolute, out var url) || url.Scheme != transport || url.Host.Length == 0)
            throw new ImageSourceException($"not a valid {transport} URL: {address}");
        if (url.UserInfo.Length > 0)
            throw new ImageSourceException("credentials in the URL are not supported (they would end up in the index)");
        if (!Suffixes.Any(s => url.AbsolutePath.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
            throw new ImageSourceException($"expected a .tar, .tar.gz or .tar.zst URL, got {url.AbsolutePath}");

        string? pinned = null;
        long maxBytes = DefaultMaxBytes, maxExpanded = DefaultMaxExpandedBytes;
        foreach (var parameter in fragment.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = equals < 0 ? (parameter, "") : (parameter[..equals], parameter[(equals + 1)..]);
            switch (key)
            {
                case "sha256" when value.Length == 64 && value.All(char.IsAsciiHexDigit):
                    pinned = value.ToLowerInvariant();
                    break;
                case "sha256":
                    throw new ImageSourceException($"#sha256= needs 64 hex digits, got '{value}'");
                case "max-bytes":
                    maxBytes = Size(key, value);
                    break;
                case "max-expanded-bytes":
                    maxExpanded = Size(key, value);
                    break;
                default:
                    throw new ImageSourceException($"unknown URL fragment parameter '{key}'; known: sha256, max-bytes, max-expanded-bytes");
            }
        }
        return new TarballLocation(url, pinned, maxBytes, maxExpanded);
    }

    static long Size(string key, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0
            ? bytes
            : throw new ImageSourceException($"#{key}= needs a positive number of bytes, got '{value}'");
}
