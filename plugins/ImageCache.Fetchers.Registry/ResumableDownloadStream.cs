using System.Net;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// A read-only stream over a blob download that survives broken connections: when a read fails (or the body ends
/// before <c>size</c> bytes, or stalls), it asks again from the current offset with <c>Range: bytes=N-</c>. A 206 must
/// carry a <c>Content-Range</c> starting at N (<c>Accept-Ranges</c> is not trusted, oci-rules §3.2); a 200 means the
/// server ignores ranges, so the first N bytes of the fresh body are read and dropped. The consumer (the blob store)
/// hashes what it reads, so a resumed download is verified like any other.
/// </summary>
/// <param name="open">Sends the GET, with a Range from the given offset when it is not 0; returns a 200 or 206 response.</param>
/// <param name="size">The blob's size from its descriptor (a shorter body is a broken connection), or null.</param>
/// <param name="what">Names the download in errors.</param>
/// <param name="options">Resume limits and the read idle timeout.</param>
internal sealed class ResumableDownloadStream(
    Func<long, CancellationToken, Task<HttpResponseMessage>> open, long? size, string what, RegistryFetcherOptions options) : Stream
{
    HttpResponseMessage? _response;
    Stream? _body;
    long _position;

    /// <summary>How many times the download resumed.</summary>
    public int Resumes { get; private set; }

    /// <summary>How many of those resumes the server answered with 206 Partial Content (the others restarted).</summary>
    public int RangedResumes { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Exception? failure;
            try
            {
                _body ??= await OpenAtAsync(_position, cancellationToken).ConfigureAwait(false);
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(options.ReadIdleTimeout);
                var read = await _body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                if (read > 0)
                {
                    _position += read;
                    return read;
                }
                if (size is not { } expected || _position >= expected) return 0;
                failure = new IOException($"the body ended after {_position} of {expected} bytes");
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException or OperationCanceledException)
            {
                failure = e;
            }

            Drop();
            if (++Resumes > options.MaxResumes)
                throw new ImageSourceException($"{what}: the download broke off {Resumes} times (last at byte {_position}: {Digests.Printable(failure.Message)})", failure);
            await Task.Delay(options.RetryBaseDelay * Math.Min(Resumes, 8), cancellationToken).ConfigureAwait(false);
        }
    }

    async Task<Stream> OpenAtAsync(long offset, CancellationToken cancellationToken)
    {
        var response = await open(offset, cancellationToken).ConfigureAwait(false);
        _response = response;
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (offset == 0) return body;

        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var range = response.Content.Headers.ContentRange;
            if (range is { HasRange: true, From: { } from } && from == offset)
            {
                RangedResumes++;
                return body;
            }
            throw new ImageSourceException($"{what}: asked to resume at byte {offset}, the server sent Content-Range '{Digests.Printable(range?.ToString() ?? "(none)")}'");
        }

        // 200: the whole blob again; skip what the consumer already has.
        var skip = new byte[81920];
        var remaining = offset;
        while (remaining > 0)
        {
            var read = await body.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, remaining)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException($"the restarted body ended after {offset - remaining} bytes");
            remaining -= read;
        }
        return body;
    }

    void Drop()
    {
        _body?.Dispose();
        _body = null;
        _response?.Dispose();
        _response = null;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing) Drop();
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
