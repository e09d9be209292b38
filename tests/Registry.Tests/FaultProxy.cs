using System.Collections.Concurrent;
using System.Net;

namespace ImageCache.Registry.Tests;

/// <summary>A request the proxy saw.</summary>
internal sealed record ProxiedRequest(int Number, string Method, string Path, string? Range, bool HasAuthorization);

/// <summary>What the proxy does to one request instead of (or while) passing it on.</summary>
internal abstract record Fault
{
    /// <summary>Answer with this status (and headers) without asking the registry.</summary>
    public sealed record Respond(int Status, IReadOnlyDictionary<string, string>? Headers = null, string Body = "") : Fault;

    /// <summary>Pass the response on, but cut the connection after this many body bytes.</summary>
    public sealed record CutAfter(long Bytes) : Fault;

    /// <summary>Pass the response on with the byte at this offset flipped.</summary>
    public sealed record CorruptByte(long Offset) : Fault;

    /// <summary>Replace the body and Content-Type (the registry's other headers kept, Docker-Content-Digest dropped unless given).</summary>
    public sealed record ReplaceBody(byte[] Body, string ContentType, string? DockerContentDigest = null) : Fault;

    /// <summary>
    /// Break the connection before any body byte: the status line and headers promise a body that never comes.
    /// (HttpListener cannot drop a request unanswered: aborting it before the headers went out sends an empty 200.)
    /// </summary>
    public sealed record Reset : Fault;

    /// <summary>Pass the response on slowly: <paramref name="ChunkBytes"/> at a time with <paramref name="Pause"/> between.</summary>
    public sealed record Trickle(int ChunkBytes, TimeSpan Pause) : Fault;

    /// <summary>
    /// Pass the request on untouched once <paramref name="Until"/> completes. The wait holds no thread, so requests held
    /// together cannot starve the thread pool that the client under test (and every other test) needs.
    /// </summary>
    public sealed record Hold(Task Until) : Fault;
}

/// <summary>
/// A fault-injecting HTTP proxy on 127.0.0.1 in front of a real registry (HttpListener, no Kestrel): forwards every GET
/// and HEAD, logs it, and applies <see cref="Faults"/> — 429 with Retry-After, 500s, connections cut mid-blob, corrupted
/// bytes, replaced bodies. Stopped on Dispose.
/// </summary>
internal sealed class FaultProxy : IDisposable
{
    static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "Transfer-Encoding", "Connection", "Content-Length", "Keep-Alive", "Date", "Server", "Content-Type" };

    readonly HttpListener listener = new();
    readonly HttpClient upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    readonly string upstreamAddress;
    readonly Task loop;
    int counter;
    long blobBytes;
    int disposed;
    readonly ConcurrentDictionary<HttpListenerResponse, bool> inFlight = new();

    /// <summary>Forwards to <paramref name="upstreamAddress"/>; listens on <paramref name="port"/> when given (to bring a stopped proxy back at the same address), else on a free port.</summary>
    public FaultProxy(string upstreamAddress, int? port = null)
    {
        this.upstreamAddress = upstreamAddress;
        port ??= RegistryServer.FreePort();
        Port = port.Value;
        Address = $"127.0.0.1:{port}";
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    /// <summary><c>127.0.0.1:PORT</c> of the proxy.</summary>
    public string Address { get; }

    public int Port { get; }

    /// <summary>Body bytes passed on for blob requests (<c>/blobs/sha256:</c>), faults included.</summary>
    public long BlobBytes => Interlocked.Read(ref blobBytes);

    /// <summary>Every distinct <c>Authorization</c> header value a client sent (so tests can look for it in what the client wrote).</summary>
    public ConcurrentDictionary<string, bool> Authorizations { get; } = new(StringComparer.Ordinal);

    /// <summary>Decides the fault for a request (null: pass it on untouched).</summary>
    public Func<ProxiedRequest, Fault?> Faults { get; set; } = _ => null;

    /// <summary>Every request seen, in arrival order.</summary>
    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    public IEnumerable<ProxiedRequest> BlobRequests => Requests.Where(r => r.Path.Contains("/blobs/sha256:", StringComparison.Ordinal));

    async Task AcceptAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    async Task HandleAsync(HttpListenerContext context)
    {
        var incoming = context.Request;
        var response = context.Response;
        inFlight.TryAdd(response, true);
        try
        {
            var seen = new ProxiedRequest(Interlocked.Increment(ref counter), incoming.HttpMethod, incoming.Url!.PathAndQuery,
                incoming.Headers["Range"], incoming.Headers["Authorization"] is not null);
            Requests.Enqueue(seen);
            if (incoming.Headers["Authorization"] is { } authorization) Authorizations.TryAdd(authorization, true);
            var fault = Faults(seen);
            if (fault is Fault.Hold hold) await hold.Until;
            if (fault is Fault.Reset)
            {
                response.ContentLength64 = 1 << 20;
                await response.OutputStream.FlushAsync();
                response.Abort();
                return;
            }
            if (fault is Fault.Respond respond)
            {
                response.StatusCode = respond.Status;
                foreach (var (name, value) in respond.Headers ?? new Dictionary<string, string>()) response.Headers[name] = value;
                var body = System.Text.Encoding.UTF8.GetBytes(respond.Body);
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
                response.Close();
                return;
            }

            using var request = new HttpRequestMessage(new HttpMethod(incoming.HttpMethod), $"http://{upstreamAddress}{incoming.Url.PathAndQuery}");
            foreach (var name in new[] { "Accept", "Authorization", "Range" })
                if (incoming.Headers.GetValues(name) is { } values) request.Headers.TryAddWithoutValidation(name, values);
            using var answer = await upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.StatusCode = (int)answer.StatusCode;
            foreach (var header in answer.Headers.Concat(answer.Content.Headers))
            {
                if (HopHeaders.Contains(header.Key)) continue;
                if (fault is Fault.ReplaceBody && header.Key.Equals("Docker-Content-Digest", StringComparison.OrdinalIgnoreCase)) continue;
                response.Headers[header.Key] = string.Join(", ", header.Value);
            }
            if (fault is Fault.ReplaceBody replace)
            {
                response.ContentType = replace.ContentType;
                if (replace.DockerContentDigest is not null) response.Headers["Docker-Content-Digest"] = replace.DockerContentDigest;
                response.ContentLength64 = replace.Body.Length;
                await response.OutputStream.WriteAsync(replace.Body);
                response.Close();
                return;
            }
            if (answer.Content.Headers.ContentType is { } type) response.ContentType = type.ToString();
            if (answer.Content.Headers.ContentLength is { } length) response.ContentLength64 = length;
            await using var body2 = await answer.Content.ReadAsStreamAsync();
            var buffer = new byte[fault is Fault.Trickle trickle ? trickle.ChunkBytes : 8192];
            var isBlob = seen.Path.Contains("/blobs/sha256:", StringComparison.Ordinal);
            long sent = 0;
            int read;
            while ((read = await body2.ReadAsync(buffer)) > 0)
            {
                if (isBlob) Interlocked.Add(ref blobBytes, fault is Fault.CutAfter c && sent + read > c.Bytes ? c.Bytes - sent : read);
                if (fault is Fault.Trickle slow && sent > 0) await Task.Delay(slow.Pause);
                if (fault is Fault.CorruptByte corrupt && corrupt.Offset >= sent && corrupt.Offset < sent + read)
                    buffer[corrupt.Offset - sent] ^= 0xFF;
                if (fault is Fault.CutAfter cut && sent + read > cut.Bytes)
                {
                    await response.OutputStream.WriteAsync(buffer.AsMemory(0, (int)(cut.Bytes - sent)));
                    await response.OutputStream.FlushAsync();
                    response.Abort();
                    return;
                }
                await response.OutputStream.WriteAsync(buffer.AsMemory(0, read));
                sent += read;
            }
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
        finally
        {
            inFlight.TryRemove(response, out _);
        }
    }

    /// <summary>Stops listening and cuts every response still being sent (a registry that goes away mid-pull).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        // Close once, first: Stop then Close makes the managed HttpListener look the port up again, and it binds it
        // anew ("Address already in use" when another test took the port in between).
        listener.Close();
        foreach (var response in inFlight.Keys) { try { response.Abort(); } catch (ObjectDisposedException) { } }
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        upstream.Dispose();
    }
}
