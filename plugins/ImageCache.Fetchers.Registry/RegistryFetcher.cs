using System.Collections.Concurrent;
using System.Net;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// <c>docker://REF</c> and a bare <c>REF</c> (<c>[HOST/]NAME[:TAG][@DIGEST]</c>): pulls from a registry speaking the
/// distribution API (Docker Hub, GHCR, Harbor, a local <c>registry:2</c>). See <see cref="RegistryClient"/> for the
/// transport rules and <see cref="RegistryImageReader"/> for what is fetched and verified.
/// </summary>
[Fetcher(Transport, Description = "registry (distribution API): docker://REF or a bare REF")]
internal sealed class RegistryFetcher : IImageFetcher, IDisposable
{
    public const string Transport = "docker";

    readonly RegistryFetcherOptions _options;
    readonly CredentialStore _credentials;
    readonly ConcurrentDictionary<string, RegistryClient.CachedAuthorization> _authorizations = new(StringComparer.Ordinal);
    readonly Lazy<HttpClient> _verified;
    readonly Lazy<HttpClient> _unverified;

    public RegistryFetcher() : this(new RegistryFetcherOptions()) { }

    internal RegistryFetcher(RegistryFetcherOptions options)
    {
        _options = options;
        _credentials = new CredentialStore(options);
        _verified = new Lazy<HttpClient>(() => CreateClient(verifyCertificates: true));
        _unverified = new Lazy<HttpClient>(() => CreateClient(verifyCertificates: false));
    }

    public async Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var location = request.Location.StartsWith("//", StringComparison.Ordinal) ? request.Location[2..] : request.Location;
        var reference = RegistryReference.Parse(location);
        var http = request.Insecure && !reference.IsLoopback ? _unverified : _verified;
        var client = new RegistryClient(reference, request.Insecure, http, _options, _credentials, _authorizations);
        return await new RegistryImageReader(reference, client, request, _options).FetchAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static HttpClient CreateClient(bool verifyCertificates)
    {
        var handler = new SocketsHttpHandler
        {
            // Redirects are followed by RegistryClient, which drops Authorization on a change of host.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (!verifyCertificates) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        // Stalls are caught per read (RegistryFetcherOptions.ReadIdleTimeout); a whole layer may take long.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public void Dispose()
    {
        if (_verified.IsValueCreated) _verified.Value.Dispose();
        if (_unverified.IsValueCreated) _unverified.Value.Dispose();
    }
}
