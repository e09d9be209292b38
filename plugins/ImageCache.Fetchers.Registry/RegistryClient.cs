using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// One pull's conversation with one registry (distribution-spec, oci-rules §3.2–3.3): the scheme, authentication
/// (anonymous, Basic, Bearer tokens cached per registry and scope until they expire, re-challenge on 401), retries with
/// backoff on 429/5xx/broken connections honouring <c>Retry-After</c>, and redirects (a redirect to another host never
/// carries the registry's <c>Authorization</c>).
/// </summary>
/// <remarks>
/// Credentials and tokens live only in request headers and in <see cref="RegistryCredential"/>; no message built here
/// contains one (URLs never carry credentials, and exception texts of HttpClient do not include headers).
/// </remarks>
internal sealed class RegistryClient
{
    static readonly string[] RateLimitHeaders = ["ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining"];

    readonly RegistryReference _reference;
    readonly Lazy<HttpClient> _http; // created on the first request: a pull by digest whose blobs are stored sends none
    readonly RegistryFetcherOptions _options;
    readonly CredentialStore _credentials;
    readonly ConcurrentDictionary<string, CachedAuthorization> _authorizations;
    readonly bool _insecure;
    readonly SemaphoreSlim _authLock = new(1, 1);
    readonly string _actions;
    CredentialStore.Lookup? _lookup;
    bool _sentCredential;

    /// <summary>An <c>Authorization</c> header value and when it stops being usable.</summary>
    internal sealed record CachedAuthorization(AuthenticationHeaderValue Header, DateTimeOffset Expires);

    public RegistryClient(RegistryReference reference, bool insecure, Lazy<HttpClient> http, RegistryFetcherOptions options,
        CredentialStore credentials, ConcurrentDictionary<string, CachedAuthorization> authorizations, bool push = false)
    {
        _actions = push ? "pull,push" : "pull";
        _reference = reference;
        _insecure = insecure;
        _http = http;
        _options = options;
        _credentials = credentials;
        _authorizations = authorizations;
        // Plain HTTP only for loopback registries or --insecure (which tries HTTPS first, without verifying the certificate).
        BaseUri = new Uri($"{(reference.IsLoopback ? "http" : "https")}://{reference.ApiHost}/");
    }

    /// <summary><c>scheme://host[:port]/</c> of the registry API.</summary>
    public Uri BaseUri { get; private set; }

    /// <summary>The token scope asked for: <c>pull</c>, or <c>pull,push</c> for a client that uploads.</summary>
    string PullScope => $"repository:{_reference.Repository}:{_actions}";

    string CacheKey => $"{BaseUri.Authority}|{PullScope}";

    /// <summary>A URI of the repository's API: <c>/v2/&lt;name&gt;/&lt;suffix&gt;</c>.</summary>
    public Uri RepositoryUri(string suffix) => new(BaseUri, $"v2/{_reference.Repository}/{suffix}");

    /// <summary>
    /// Sends a GET (built by <paramref name="configure"/>) and returns the final response, which may be any status but
    /// 401 (turned into an authentication error), 429 and 5xx (retried, then an error), and redirects (followed).
    /// </summary>
    /// <exception cref="ImageSourceException">Unknown host, connection failures after retries, authentication, rate limits.</exception>
    public Task<HttpResponseMessage> GetAsync(Uri uri, string what, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, uri, what, configure, null, cancellationToken);

    /// <summary>
    /// <see cref="GetAsync"/> for a small document (manifest, index, config) whose body is read into memory before it
    /// is returned, within the retries: a connection that breaks mid-body is retried like one that breaks before the
    /// headers (it was an unexplained "response ended prematurely" and no retry).
    /// </summary>
    public Task<HttpResponseMessage> GetDocumentAsync(Uri uri, string what, Action<HttpRequestMessage>? configure, long limit, CancellationToken cancellationToken) =>
        WithBufferedBodyAsync(() => GetAsync(uri, what, configure, cancellationToken), uri, what, limit, cancellationToken);

    /// <summary>
    /// Sends (via <paramref name="send"/>) and buffers the body when its declared length is within <paramref name="limit"/>
    /// (a longer or undeclared one is left to <see cref="ReadBoundedAsync"/>, which refuses it with the limit named). A
    /// body that breaks off or stalls past <see cref="RegistryFetcherOptions.ReadIdleTimeout"/> is asked for again with
    /// backoff, up to <see cref="RegistryFetcherOptions.MaxAttempts"/> times.
    /// </summary>
    async Task<HttpResponseMessage> WithBufferedBodyAsync(Func<Task<HttpResponseMessage>> send, Uri uri, string what, long limit, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await send().ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is not { } length || length > limit) return response;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(_options.ReadIdleTimeout);
            try
            {
                await response.Content.LoadIntoBufferAsync(idle.Token).ConfigureAwait(false);
                return response;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                response.Dispose();
                var failure = e is OperationCanceledException
                    ? $"{uri.Authority} sent no more of the response within {_options.ReadIdleTimeout.TotalSeconds:0} s"
                    : $"the connection to {uri.Authority} broke off while reading the response ({Digests.Printable(e.GetBaseException().Message)})";
                if (attempt >= _options.MaxAttempts) throw new ImageSourceException($"{what}: {failure} (after {attempt} attempts)", e);
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Like <see cref="GetAsync"/> for any method; <paramref name="content"/> creates the request body afresh for each
    /// attempt (a retried upload sends its content again). Redirects are followed for GET and HEAD, and for 307/308.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, string what, Action<HttpRequestMessage>? configure,
        Func<HttpContent?>? content, CancellationToken cancellationToken)
    {
        if (_insecure && !_reference.IsLoopback && BaseUri.Scheme == "https" && SameAuthority(uri, BaseUri))
            uri = await ChooseSchemeAsync(uri, what, cancellationToken).ConfigureAwait(false);

        var sameHost = SameAuthority(uri, BaseUri);
        var reauthenticated = false;
        for (var redirects = 0; ; )
        {
            var authorization = sameHost ? CurrentAuthorization() : null;
            var response = await SendWithRetriesAsync(() =>
            {
                var request = new HttpRequestMessage(method, uri) { Content = content?.Invoke() };
                configure?.Invoke(request);
                request.Headers.Authorization = authorization;
                return request;
            }, uri, what, cancellationToken).ConfigureAwait(false);

            var status = (int)response.StatusCode;
            var followable = method == HttpMethod.Get || method == HttpMethod.Head ? status is 301 or 302 or 303 or 307 or 308 : status is 307 or 308;
            if (followable && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (++redirects > 10) throw new ImageSourceException($"{what}: too many redirects (last to {Redact(uri)})");
                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                CheckScheme(next, what);
                // A blob redirect to a CDN must not carry the registry's credential (oci-rules §3.2).
                if (!SameAuthority(next, BaseUri)) sameHost = false;
                uri = next;
                continue;
            }
            if (status == 401 && sameHost)
            {
                var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
                response.Dispose();
                if (reauthenticated) throw await AuthenticationFailureAsync(what, cancellationToken).ConfigureAwait(false);
                reauthenticated = true;
                await AuthenticateAsync(challenge, authorization, what, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    /// <summary>With <c>--insecure</c> on a remote registry: HTTPS (certificate not verified) when it answers, else plain HTTP.</summary>
    async Task<Uri> ChooseSchemeAsync(Uri uri, string what, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "v2/"));
            using var response = await _http.Value.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return uri;
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.SecureConnectionError or HttpRequestError.InvalidResponse)
        {
            BaseUri = new Uri($"http://{_reference.ApiHost}/");
            return new UriBuilder(uri) { Scheme = "http", Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri;
        }
    }

    AuthenticationHeaderValue? CurrentAuthorization() =>
        _authorizations.TryGetValue(CacheKey, out var cached) && cached.Expires > DateTimeOffset.UtcNow ? cached.Header : null;

    /// <summary>Answers a challenge: Basic with the stored credential, or a Bearer token from the realm (oci-rules §3.3).</summary>
    async Task AuthenticateAsync(AuthChallenge? challenge, AuthenticationHeaderValue? used, string what, CancellationToken cancellationToken)
    {
        await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another download may have refreshed the authorization while this one waited.
            if (CurrentAuthorization() is { } current && !ReferenceEquals(current, used)) return;
            if (challenge is null)
                throw new ImageSourceException($"{what}: the registry {_reference.Registry} answered 401 Unauthorized without a WWW-Authenticate challenge");
            var lookup = _lookup ??= await _credentials.FindAsync(_reference, cancellationToken).ConfigureAwait(false);
            if (challenge.IsBasic)
            {
                if (lookup.Credential is null) throw AuthenticationRequired(what, lookup);
                _sentCredential = true;
                _authorizations[CacheKey] = new CachedAuthorization(new AuthenticationHeaderValue("Basic", lookup.Credential.BasicParameter), DateTimeOffset.MaxValue);
                return;
            }
            if (!challenge.IsBearer)
                throw new ImageSourceException($"{what}: the registry {_reference.Registry} asks for an unsupported authentication scheme '{Digests.Printable(challenge.Scheme)}'");
            var token = await FetchTokenAsync(challenge, lookup, what, cancellationToken).ConfigureAwait(false);
            _authorizations[CacheKey] = token;
        }
        finally
        {
            _authLock.Release();
        }
    }

    async Task<CachedAuthorization> FetchTokenAsync(AuthChallenge challenge, CredentialStore.Lookup lookup, string what, CancellationToken cancellationToken)
    {
        if (challenge.Realm is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new ImageSourceException($"{what}: the registry's Bearer challenge has no valid realm");
        CheckScheme(realmUri, $"{what}: token realm");
        var query = new StringBuilder(realmUri.Query.Length > 1 ? realmUri.Query[1..] + "&" : "");
        if (challenge.Service is { Length: > 0 } service) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        // Our pull scope always; the challenge's scope too when it names something else.
        var scopes = new List<string> { PullScope };
        if (challenge.Scope is { Length: > 0 } scope && scope != PullScope) scopes.AddRange(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        foreach (var s in scopes.Distinct(StringComparer.Ordinal)) query.Append("scope=").Append(Uri.EscapeDataString(s)).Append('&');
        var tokenUri = new UriBuilder(realmUri) { Query = query.ToString().TrimEnd('&') }.Uri;

        var credential = lookup.Credential;
        if (credential is not null) _sentCredential = true;
        using var response = await WithBufferedBodyAsync(() => SendWithRetriesAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
            if (credential is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicParameter);
            return request;
        }, tokenUri, $"{what}: token request", cancellationToken), tokenUri, $"{what}: token request", 1 << 20, cancellationToken).ConfigureAwait(false);

        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            if (credential is null) throw AuthenticationRequired(what, lookup);
            throw new ImageSourceException(
                $"authentication failed for {_reference.Registry}: the token service {realmUri.GetLeftPart(UriPartial.Path)} refused the {credential} (HTTP {(int)response.StatusCode})");
        }
        if (!response.IsSuccessStatusCode)
            throw new ImageSourceException($"{what}: the token service {realmUri.GetLeftPart(UriPartial.Path)} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        var body = await ReadBoundedAsync(response, 1 << 20, $"{what}: token response", cancellationToken).ConfigureAwait(false);
        using var document = Json.Parse(body, $"{what}: the token response");
        var root = document.RootElement;
        // `token` and `access_token` are the same thing (token.md); expires_in defaults to 60 s and is never less.
        var token = Json.String(root, "token") is { Length: > 0 } t ? t : Json.String(root, "access_token");
        if (string.IsNullOrEmpty(token)) throw new ImageSourceException($"{what}: the token response holds no token");
        var lifetime = Math.Max(60, Json.Int64(root, "expires_in") ?? 60);
        // The lifetime counts from when the token arrived, by our clock. The service's issued_at is not used: a token
        // service whose clock runs behind ours would hand out tokens that look expired on arrival, and a client that
        // trusted it could never use one (the retry after the challenge would go out without it). The registry checks
        // the token's real expiry itself; a token it refuses is re-challenged once.
        // Renew a little early so a token does not expire between the check and the request.
        return new CachedAuthorization(new AuthenticationHeaderValue("Bearer", token), DateTimeOffset.UtcNow.AddSeconds(lifetime - 10));
    }

    ImageSourceException AuthenticationRequired(string what, CredentialStore.Lookup lookup) =>
        new($"authentication required for {_reference.Name} ({what}): no credentials for {_reference.AuthKey} found; looked in: "
            + (lookup.Searched.Count == 0 ? "nowhere (none of REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, DOCKER_CONFIG, HOME is set)" : string.Join("; ", lookup.Searched)));

    async Task<ImageSourceException> AuthenticationFailureAsync(string what, CancellationToken cancellationToken)
    {
        var lookup = _lookup ??= await _credentials.FindAsync(_reference, cancellationToken).ConfigureAwait(false);
        if (_sentCredential && lookup.Credential is { } credential)
            return new ImageSourceException($"authentication failed for {_reference.Name} ({what}): the registry refused the {credential}");
        return AuthenticationRequired(what, lookup);
    }

    /// <summary>
    /// One request, retried with exponential backoff on connection failures, 429 and 502/503/504/500 (a
    /// <c>Retry-After</c> is honoured up to <see cref="RegistryFetcherOptions.MaxRetryAfter"/>).
    /// </summary>
    async Task<HttpResponseMessage> SendWithRetriesAsync(Func<HttpRequestMessage> create, Uri uri, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            using (var request = create())
            using (var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                request.Headers.UserAgent.ParseAdd("imagecache/0.1");
                headersTimeout.CancelAfter(_options.ReadIdleTimeout);
                try
                {
                    response = await _http.Value.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
                {
                    var failure = DescribeFailure(e, uri);
                    if (e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError || attempt >= _options.MaxAttempts)
                        throw new ImageSourceException(attempt > 1 ? $"{what}: {failure} (after {attempt} attempts)" : $"{what}: {failure}", e);
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= _options.MaxAttempts)
                        throw new ImageSourceException($"{what}: {uri.Authority} did not answer within {_options.ReadIdleTimeout.TotalSeconds:0} s (after {attempt} attempts)", e);
                    continue;
                }
            }

            var status = (int)response.StatusCode;
            if (status is not (429 or 500 or 502 or 503 or 504)) return response;

            var retryAfter = RetryAfter(response);
            var tooLong = retryAfter > _options.MaxRetryAfter;
            if (attempt >= _options.MaxAttempts || tooLong)
            {
                using (response)
                {
                    var detail = await ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
                    var tries = tooLong ? $"it asks to retry after {retryAfter!.Value.TotalSeconds:0} s" : $"after {attempt} attempts";
                    if (status == 429)
                        throw new ImageSourceException($"{what}: rate limited by {uri.Authority} (HTTP 429 Too Many Requests, {tries}){detail}{RateLimitReport(response)}");
                    throw new ImageSourceException($"{what}: {uri.Authority} answered HTTP {status} {response.ReasonPhrase} ({tries}){detail}");
                }
            }
            response.Dispose();
            await Task.Delay(retryAfter ?? Backoff(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    TimeSpan Backoff(int attempt)
    {
        var delay = _options.RetryBaseDelay * Math.Pow(2, attempt - 1);
        if (delay > _options.RetryMaxDelay) delay = _options.RetryMaxDelay;
        // Jitter (up to +25%) so parallel downloads do not retry in lockstep.
        return delay + delay * (Random.Shared.NextDouble() / 4);
    }

    static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter) return null;
        if (retryAfter.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (retryAfter.Date is { } date) return date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return null;
    }

    /// <summary>The rate-limit headers of a 429, e.g. <c>; ratelimit-limit: 100;w=21600, ratelimit-remaining: 0;w=21600</c>.</summary>
    static string RateLimitReport(HttpResponseMessage response)
    {
        var found = RateLimitHeaders
            .Select(name => response.Headers.TryGetValues(name, out var values) ? $"{name}: {Digests.Printable(string.Join(", ", values))}" : null)
            .OfType<string>()
            .ToList();
        return found.Count == 0 ? "; the registry sent no rate-limit headers" : "; " + string.Join(", ", found);
    }

    /// <summary>The registry's error body (<c>{"errors":[{code,message}]}</c>) as <c>: CODE message</c>, or empty.</summary>
    public static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var (code, message) = await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return code is null && message is null ? "" : $": {code} {message}".TrimEnd();
    }

    /// <summary>The first error code and message of an error body, when it has one.</summary>
    public static async Task<(string? Code, string? Message)> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await ReadBoundedAsync(response, 64 << 10, "error body", cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(body);
            if (Json.Property(document.RootElement, "errors", JsonValueKind.Array) is { } errors && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                return (Json.String(first, "code") is { } c ? Digests.Printable(c) : null,
                        Json.String(first, "message") is { } m ? Digests.Printable(m) : null);
            }
        }
        catch (Exception e) when (e is JsonException or ImageSourceException or IOException or HttpRequestException) { }
        return (null, null);
    }

    /// <summary>Reads a response body whole, refusing more than <paramref name="limit"/> bytes (announced or actual).</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long limit, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > limit)
            throw new ImageSourceException($"{what} is {response.Content.Headers.ContentLength} bytes, over the {limit >> 20} MiB limit");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw new ImageSourceException($"{what} is over the {limit >> 20} MiB limit");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    void CheckScheme(Uri uri, string what)
    {
        if (uri.Scheme == "https") return;
        if (uri.Scheme == "http" && (_insecure || RegistryReference.IsLoopbackHost(uri.Authority))) return;
        throw new ImageSourceException($"{what}: refusing to follow {Redact(uri)} (plain HTTP is only used for loopback hosts or with --insecure)");
    }

    static string DescribeFailure(HttpRequestException e, Uri uri) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => $"unknown host {uri.Host} (the name does not resolve)",
        HttpRequestError.ConnectionError => $"cannot connect to {uri.Authority}: {Digests.Printable(e.InnerException?.Message ?? e.Message)}",
        HttpRequestError.SecureConnectionError => $"TLS with {uri.Authority} failed: {Digests.Printable(e.InnerException?.Message ?? e.Message)} (use --insecure only for a registry you trust)",
        _ => $"request to {uri.Authority} failed: {Digests.Printable(e.Message)}",
    };

    /// <summary>A URI without its query (pre-signed CDN URLs carry signatures there).</summary>
    public static string Redact(Uri uri) => uri.GetLeftPart(UriPartial.Path);

    static bool SameAuthority(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Authority, b.Authority, StringComparison.OrdinalIgnoreCase);
}
