using System.Net;
using System.Net.Http.Headers;
using ImageCache.Contracts;

namespace ImageCache.Samples.HttpTarball;

/// <summary>
/// The body of one HTTP download, read forward only. When the connection breaks part-way, it asks again for the
/// rest (<c>Range: bytes=N-</c>, guarded by <c>If-Range</c> with the first reply's validator so a file that changed
/// in between is never stitched together), up to <see cref="MaxResumes"/> times. Enforces the size cap.
/// </summary>
internal sealed class ResumingDownloadStream : Stream
{
    /// <summary>How many times a broken transfer is resumed before giving up.</summary>
    public const int MaxResumes = 5;

    readonly HttpClient client;
    readonly Uri url;
    readonly long maxBytes;
    readonly EntityTagHeaderValue? etag;
    readonly DateTimeOffset? lastModified;
    readonly IProgress<TransferProgress>? progress;
    readonly string progressName;
    HttpResponseMessage response;
    Stream body;
    long position;
    int resumes;

    ResumingDownloadStream(HttpClient client, Uri url, long maxBytes, HttpResponseMessage response, Stream body,
        IProgress<TransferProgress>? progress, string progressName)
    {
        this.client = client;
        this.url = url;
        this.maxBytes = maxBytes;
        this.response = response;
        this.body = body;
        this.progress = progress;
        this.progressName = progressName;
        etag = response.Headers.ETag is { IsWeak: false } strong ? strong : null;
        lastModified = response.Content.Headers.LastModified;
        AnnouncedLength = response.Content.Headers.ContentLength;
    }

    /// <summary>The size the server announced, or null.</summary>
    public long? AnnouncedLength { get; }

    /// <summary>How many times the transfer was resumed.</summary>
    public int Resumes => resumes;

    /// <summary>Starts the download; fails before any byte is read when the server announces more than the cap.</summary>
    public static async Task<ResumingDownloadStream> OpenAsync(HttpClient client, Uri url, long maxBytes,
        IProgress<TransferProgress>? progress, string progressName, CancellationToken cancellationToken)
    {
        var response = await SendAsync(client, new HttpRequestMessage(HttpMethod.Get, url), url, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            response.Dispose();
            throw new ImageSourceException($"GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        if (response.Content.Headers.ContentLength is { } announced && announced > maxBytes)
        {
            response.Dispose();
            throw new ImageSourceException($"{url} is {announced} bytes, more than the cap of {maxBytes} (raise it with #max-bytes=N)");
        }
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new ResumingDownloadStream(client, url, maxBytes, response, body, progress, progressName);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int read;
            try
            {
                read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                await ResumeAsync(e, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (read == 0 && AnnouncedLength is { } expected && position < expected)
            {
                // The connection closed cleanly but early.
                await ResumeAsync(new IOException($"connection closed after {position} of {expected} bytes"), cancellationToken).ConfigureAwait(false);
                continue;
            }

            position += read;
            if (position > maxBytes)
                throw new ImageSourceException($"{url} is more than the cap of {maxBytes} bytes (raise it with #max-bytes=N)");
            if (read > 0) progress?.Report(new TransferProgress(progressName, position, AnnouncedLength, Reused: false));
            return read;
        }
    }

    async Task ResumeAsync(Exception cause, CancellationToken cancellationToken)
    {
        if (++resumes > MaxResumes)
            throw new ImageSourceException($"download of {url} broke {MaxResumes + 1} times; last error: {cause.Message}", cause);
        if (etag is null && lastModified is null)
            throw new ImageSourceException($"download of {url} broke after {position} bytes and the server gives no ETag or Last-Modified to resume safely: {cause.Message}", cause);

        await body.DisposeAsync().ConfigureAwait(false);
        response.Dispose();
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(position, null);
        request.Headers.IfRange = etag is not null ? new RangeConditionHeaderValue(etag) : new RangeConditionHeaderValue(lastModified!.Value);
        response = await SendAsync(client, request, url, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != position)
            throw new ImageSourceException(response.StatusCode == HttpStatusCode.OK
                ? $"{url} changed on the server while it was downloading (or the server cannot resume); try again"
                : $"resuming {url} at byte {position} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ImageSourceException($"cannot reach {url}: {e.Message}", e);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
            response.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
