using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ImageCache.Samples.Tests;

/// <summary>
/// A tiny static file server on 127.0.0.1 (HttpListener) for the tarball fetcher: strong ETags, <c>Range</c> with
/// <c>If-Range</c>, and on request a first reply that breaks off half-way, to exercise resume. Stops on Dispose.
/// </summary>
internal sealed class TarballServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly ConcurrentDictionary<string, byte[]> files = new(StringComparer.Ordinal);
    readonly Task loop;

    public TarballServer()
    {
        // HttpListener cannot bind port 0: take a free port from the kernel, then bind it.
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>When set, the next full (non-range) reply sends only this many bytes and then drops the connection.</summary>
    public long? BreakNextFullReplyAfter { get; set; }

    /// <summary>Every request seen, as <c>METHOD PATH [Range]</c>.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public void Serve(string path, byte[] content) => files[path] = content;

    async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { await ReplyAsync(context); }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    async Task ReplyAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url!.AbsolutePath.TrimStart('/');
        var range = request.Headers["Range"];
        Requests.Enqueue($"{request.HttpMethod} /{path}{(range is null ? "" : " " + range)}");
        if (!files.TryGetValue(path, out var content))
        {
            response.StatusCode = 404;
            response.Close();
            return;
        }
        var etag = $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16]}\"";
        response.Headers["ETag"] = etag;
        response.Headers["Accept-Ranges"] = "bytes";
        long from = 0;
        if (range is { } r && r.StartsWith("bytes=", StringComparison.Ordinal) && r.EndsWith('-') &&
            (request.Headers["If-Range"] is null || request.Headers["If-Range"] == etag))
        {
            from = long.Parse(r["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        response.ContentLength64 = content.Length - from;
        if (from == 0 && BreakNextFullReplyAfter is { } cut)
        {
            BreakNextFullReplyAfter = null;
            await response.OutputStream.WriteAsync(content.AsMemory(0, (int)cut));
            await response.OutputStream.FlushAsync();
            response.Abort();
            return;
        }
        await response.OutputStream.WriteAsync(content.AsMemory((int)from));
        response.Close();
    }

    public void Dispose()
    {
        // Close alone: Stop then Close makes the managed HttpListener look the port up again, and it binds it anew
        // ("Address already in use" when another test took the port in between).
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(10));
    }
}
