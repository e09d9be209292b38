namespace ImageCache.Builders.Squashfs;

/// <summary>A write-only wrapper of a child's stdin that remembers whether a write to it failed (EPIPE when the child exited).</summary>
internal sealed class PipeStream(Stream inner) : Stream
{
    /// <summary>A write or flush to the pipe threw.</summary>
    public bool Broken { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        try { inner.Write(buffer, offset, count); }
        catch (IOException) { Broken = true; throw; }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try { await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false); }
        catch (IOException) { Broken = true; throw; }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        try { inner.Flush(); }
        catch (IOException) { Broken = true; throw; }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        try { await inner.FlushAsync(cancellationToken).ConfigureAwait(false); }
        catch (IOException) { Broken = true; throw; }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { inner.Dispose(); }
            catch (IOException) { Broken = true; throw; }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try { await inner.DisposeAsync().ConfigureAwait(false); }
        catch (IOException) { Broken = true; throw; }
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
