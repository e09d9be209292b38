namespace ImageCache.Host.Layers;

/// <summary>
/// A read-only, forward-only window over one entry's data in the archive stream: exactly <c>length</c> bytes, then
/// end of stream. The reader skips what the caller leaves unread and invalidates the window when it moves on.
/// </summary>
internal sealed class TarEntryDataStream : Stream
{
    readonly Stream archive;
    readonly long length;
    readonly string entryName;
    readonly long headerOffset;
    long remaining;
    bool invalidated;

    public TarEntryDataStream(Stream archive, long length, string entryName, long headerOffset)
    {
        this.archive = archive;
        this.length = length;
        remaining = length;
        this.entryName = entryName;
        this.headerOffset = headerOffset;
    }

    public string EntryName => entryName;
    public long HeaderOffset => headerOffset;

    /// <summary>Data bytes the caller has not read.</summary>
    public long Remaining => remaining;

    /// <summary>Called by the reader once it has moved past this entry.</summary>
    public void Invalidate() => invalidated = true;

    public override bool CanRead => !invalidated;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => length - remaining;
        set => throw new NotSupportedException("A tar entry's data stream cannot seek.");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!Clamp(ref buffer))
            return 0;
        return Count(archive.Read(buffer), buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var span = buffer.Span;
        if (!Clamp(ref span))
            return 0;
        buffer = buffer[..span.Length];
        return Count(await archive.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);
    }

    bool Clamp(ref Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(invalidated, this);
        if (remaining == 0 || buffer.IsEmpty)
            return false;
        if (buffer.Length > remaining)
            buffer = buffer[..(int)remaining];
        return true;
    }

    int Count(int read, int requested)
    {
        if (read == 0 && requested > 0)
            throw TarErrors.Truncated(entryName, headerOffset, $"inside the entry's data ({remaining} of {length} bytes missing)");
        remaining -= read;
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A tar entry's data stream cannot seek.");
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
