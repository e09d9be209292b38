using ImageCache.Contracts;

namespace ImageCache.Fetchers.Shared;

/// <summary>A read-only pass-through that reports the bytes read so far as <see cref="TransferProgress"/>.</summary>
internal sealed class ProgressStream(Stream inner, string digest, long? total, IProgress<TransferProgress>? progress) : Stream
{
    long _transferred;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _transferred; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    int Count(int read)
    {
        if (read > 0)
        {
            _transferred += read;
            progress?.Report(new TransferProgress(digest, _transferred, total, Reused: false));
        }
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
