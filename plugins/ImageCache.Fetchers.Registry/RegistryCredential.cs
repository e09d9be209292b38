using System.Text;

namespace ImageCache.Fetchers.Registry;

/// <summary>A username and secret for one registry, and where it was found. Its text form never shows the secret.</summary>
internal sealed class RegistryCredential(string username, string secret, string source)
{
    public string Username { get; } = username;

    /// <summary>Where it came from (a file path or <c>docker-credential-NAME</c>), for messages.</summary>
    public string Source { get; } = source;

    /// <summary>The <c>Authorization: Basic</c> parameter.</summary>
    public string BasicParameter => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{secret}"));

    public override string ToString() => $"credentials of '{Username}' from {Source}";
}
