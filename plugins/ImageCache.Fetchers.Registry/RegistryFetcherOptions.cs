namespace ImageCache.Fetchers.Registry;

/// <summary>Tunables of the registry fetcher; the defaults are what the CLI uses, tests shorten the waits.</summary>
internal sealed record RegistryFetcherOptions
{
    /// <summary>Reads an environment variable (credential file locations, <c>PATH</c> for credential helpers, <c>HOME</c>).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Attempts per request on 429, 5xx and broken connections (the first try included).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First backoff delay; doubled on each retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest backoff delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A <c>Retry-After</c> longer than this is not waited for: the pull fails with the rate-limit headers.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times one blob download may resume after its connection broke.</summary>
    public int MaxResumes { get; init; } = 8;

    /// <summary>Layers downloaded at the same time.</summary>
    public int MaxParallelDownloads { get; init; } = 3;

    /// <summary>A read that delivers nothing for this long counts as a broken connection.</summary>
    public TimeSpan ReadIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a credential helper may run.</summary>
    public TimeSpan CredentialHelperTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Blobs larger than this are uploaded in PATCH chunks of this size; smaller ones in one PUT.</summary>
    public int UploadChunkBytes { get; init; } = 64 << 20;
}
