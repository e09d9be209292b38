using ImageCache.Contracts;
using ImageCache.Fetchers.Registry;
using ImageCache.Host.Blobs;

namespace ImageCache.Registry.Tests;

/// <summary>A private blob store (a fresh OCI layout) and a fetcher with short retry delays and a controlled environment.</summary>
internal sealed class TestStore : IDisposable
{
    public TestStore()
    {
        Root = Directory.CreateTempSubdirectory("imagecache-registry-test-").FullName;
        Blobs = new OciBlobStore(Path.Combine(Root, "oci"));
    }

    public string Root { get; }

    public OciBlobStore Blobs { get; }

    /// <summary>
    /// The environment the fetcher sees: only what the test sets (so the machine's own credential files never leak in),
    /// plus PATH for credential helpers.
    /// </summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal)
    {
        ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
    };

    public RegistryFetcherOptions Options => new()
    {
        Environment = name => Environment.GetValueOrDefault(name),
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        MaxRetryAfter = TimeSpan.FromSeconds(5),
        ReadIdleTimeout = TimeSpan.FromSeconds(20),
    };

    public async Task<FetchedImage> FetchAsync(string location, PlatformSpec? platform = null, RegistryFetcher? fetcher = null)
    {
        using var own = fetcher is null ? new RegistryFetcher(Options) : null;
        return await (fetcher ?? own!).FetchAsync(new FetchRequest(location, platform, Blobs, false, null), CancellationToken.None);
    }

    public async Task<ImageSourceException> FailAsync(string location, PlatformSpec? platform = null, RegistryFetcher? fetcher = null) =>
        await Assert.ThrowsAsync<ImageSourceException>(() => FetchAsync(location, platform, fetcher));

    /// <summary>Files under the layout's blobs/ (what is visible).</summary>
    public IReadOnlyList<string> VisibleBlobs =>
        Directory.Exists(Path.Combine(Blobs.LayoutDir, "blobs", "sha256"))
            ? [.. Directory.GetFiles(Path.Combine(Blobs.LayoutDir, "blobs", "sha256")).Select(f => "sha256:" + Path.GetFileName(f))]
            : [];

    public void Dispose()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
