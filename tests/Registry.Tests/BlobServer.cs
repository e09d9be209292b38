using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ImageCache.Registry.Tests;

/// <summary>A request the blob server saw, with the Authorization header it carried (null when none).</summary>
internal sealed record BlobServerRequest(string Path, string? Authorization);

/// <summary>
/// A plain HTTP file server on a loopback address (HttpListener): what a CDN behind a registry redirect or a foreign
/// layer URL is. It serves the bodies put into <see cref="Files"/> by path, answers 404 otherwise, and records every
/// request with its Authorization header. Its host may be another loopback address (127.0.0.2) so the
/// server is a different host from the registry, not only a different port. Stopped on Dispose.
/// </summary>
internal sealed class BlobServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly Task loop;

    public BlobServer(string host = "127.0.0.1")
    {
        var port = FreePort(host);
        Authority = $"{host}:{port}";
        listener.Prefixes.Add($"http://{Authority}/");
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    /// <summary><c>HOST:PORT</c>.</summary>
    public string Authority { get; }

    /// <summary>Path (starting with '/') → body.</summary>
    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request seen, in arrival order.</summary>
    public ConcurrentQueue<BlobServerRequest> Requests { get; } = new();

    public string Url(string path) => $"http://{Authority}{path}";

    static int FreePort(string host)
    {
        using var probe = new TcpListener(IPAddress.Parse(host), 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    async Task AcceptAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                var path = context.Request.Url!.AbsolutePath;
                Requests.Enqueue(new BlobServerRequest(path, context.Request.Headers["Authorization"]));
                if (Files.TryGetValue(path, out var body))
                {
                    context.Response.ContentType = "application/octet-stream";
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        // Close alone: Stop then Close makes the managed HttpListener look the port up again, and it binds it anew
        // ("Address already in use" when another test took the port in between).
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
