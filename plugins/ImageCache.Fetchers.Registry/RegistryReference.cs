using System.Net;
using System.Text.RegularExpressions;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// A registry image reference, normalised the Docker way (oci-rules §3.1): no host → <c>docker.io</c>, a one-component
/// name on Docker Hub gets <c>library/</c>, no tag and no digest → <c>latest</c>.
/// </summary>
/// <param name="Registry">The registry as users name it (<c>docker.io</c>, <c>ghcr.io</c>, <c>127.0.0.1:5000</c>).</param>
/// <param name="Repository">The repository path (<c>library/busybox</c>).</param>
/// <param name="Tag">The tag, or null when only a digest was given.</param>
/// <param name="Digest">The pinned digest, or null.</param>
internal sealed partial record RegistryReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>The host the distribution API is served from (Docker Hub's is not <c>docker.io</c>).</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>The key credentials are stored under in docker's config.json and podman's auth.json.</summary>
    public string AuthKey => Registry == DockerHub ? "https://index.docker.io/v1/" : Registry;

    /// <summary>What the manifest endpoint is asked for: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest ?? Tag!;

    /// <summary><c>registry/repository</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>True for <c>localhost</c> and loopback addresses, where plain HTTP is allowed without <c>--insecure</c>.</summary>
    public bool IsLoopback => IsLoopbackHost(ApiHost);

    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Parses <c>[HOST[:PORT]/]NAME[:TAG][@DIGEST]</c>.</summary>
    /// <exception cref="ImageSourceException">Not a valid reference; the message says which part is wrong.</exception>
    public static RegistryReference Parse(string text)
    {
        var input = text.Trim();
        if (input.Length == 0) throw new ImageSourceException("no image reference given (expected [HOST/]NAME[:TAG][@DIGEST])");
        if (input.Length > 512 || input.Any(char.IsControl) || input.Any(char.IsWhiteSpace))
            throw new ImageSourceException($"invalid image reference '{Digests.Printable(input)}'");

        string? digest = null;
        var at = input.IndexOf('@');
        if (at >= 0)
        {
            digest = input[(at + 1)..];
            if (!Digests.IsValid(digest))
                throw new ImageSourceException($"invalid image reference '{Digests.Printable(input)}': '{Digests.Printable(digest)}' is not a sha256 or sha512 digest");
            input = input[..at];
        }

        var registry = DockerHub;
        var remainder = input;
        var slash = input.IndexOf('/');
        if (slash > 0)
        {
            var first = input[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper))
            {
                registry = first;
                remainder = input[(slash + 1)..];
            }
        }
        if (!RegistryHost().IsMatch(registry))
            throw new ImageSourceException($"invalid image reference '{Digests.Printable(text)}': bad registry host '{Digests.Printable(registry)}'");
        if (registry == "index.docker.io") registry = DockerHub;

        string? tag = null;
        var colon = remainder.LastIndexOf(':');
        if (colon > remainder.LastIndexOf('/'))
        {
            tag = remainder[(colon + 1)..];
            remainder = remainder[..colon];
            if (!TagPattern().IsMatch(tag))
                throw new ImageSourceException($"invalid image reference '{Digests.Printable(text)}': bad tag '{Digests.Printable(tag)}'");
        }
        if (remainder.Any(char.IsUpper))
            throw new ImageSourceException($"invalid image reference '{Digests.Printable(text)}': repository names must be lowercase");
        if (!NamePattern().IsMatch(remainder))
            throw new ImageSourceException($"invalid image reference '{Digests.Printable(text)}': bad repository name '{Digests.Printable(remainder)}'");
        if (registry == DockerHub && !remainder.Contains('/')) remainder = "library/" + remainder;
        if (registry.Length + 1 + remainder.Length > 255)
            throw new ImageSourceException($"invalid image reference '{Digests.Printable(text)}': the name is longer than 255 characters");
        if (tag is null && digest is null) tag = "latest";
        return new RegistryReference(registry, remainder, tag, digest);
    }

    /// <summary>Whether <paramref name="hostAndPort"/> (<c>host[:port]</c>, IPv6 in brackets) is the local machine.</summary>
    public static bool IsLoopbackHost(string hostAndPort)
    {
        var host = hostAndPort;
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']');
            host = end > 0 ? host[1..end] : host;
        }
        else if (host.LastIndexOf(':') is var colon and > 0)
        {
            host = host[..colon];
        }
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex RegistryHost();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
