using Microsoft.Win32.SafeHandles;

namespace ImageCache.Host.Layers;

/// <summary>A read-only window of <c>length</c> bytes at <c>offset</c> of an open file, read with pread: many slices share one handle.</summary>
internal sealed class FileSliceStream(SafeFileHandle file, long offset, long length) : Stream
{
    long position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var want = (int)Math.Min(buffer.Length, length - position);
        if (want <= 0) return 0;
        var read = RandomAccess.Read(file, buffer[..want], offset + position);
        if (read == 0) throw new EndOfStreamException($"the layer data ends {length - position} bytes early");
        position += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));
}
