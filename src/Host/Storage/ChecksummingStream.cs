namespace ImageCache.Host.Storage;

/// <summary>
/// Passes writes on to <paramref name="inner"/> and keeps the CRC-32C of everything written, so the index is written
/// straight to its file with its checksum, without first building the whole text in memory.
/// </summary>
internal sealed class ChecksummingStream(Stream inner) : Stream
{
    uint state = uint.MaxValue;

    /// <summary>The CRC-32C of the bytes written so far.</summary>
    public uint Crc32C => ~state;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        state = IndexChecksum.Update(state, buffer);
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => inner.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
