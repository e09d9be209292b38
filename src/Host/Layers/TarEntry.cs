namespace ImageCache.Host.Layers;

/// <summary>
/// One entry returned by <see cref="TarReader.GetNextEntryAsync"/>: its header and a forward-only stream over exactly
/// <see cref="TarEntryHeader.Size"/> data bytes. The stream is valid until the next call to the reader, which skips
/// whatever was not read; reading past the entry's end returns 0.
/// </summary>
public sealed class TarEntry
{
    internal TarEntry(TarEntryHeader header, Stream dataStream, long headerOffset)
    {
        Header = header;
        DataStream = dataStream;
        HeaderOffset = headerOffset;
    }

    /// <summary>The entry's metadata.</summary>
    public TarEntryHeader Header { get; }

    /// <summary>The entry's data: exactly <see cref="TarEntryHeader.Size"/> bytes, not seekable.</summary>
    /// <remarks>Reads throw <see cref="InvalidDataException"/> if the archive ends before the data does.</remarks>
    public Stream DataStream { get; }

    /// <summary>Byte offset in the archive stream of the entry's first header (its first meta header if it has any).</summary>
    public long HeaderOffset { get; }
}
