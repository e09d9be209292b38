using ImageCache.Core;

namespace ImageCache.Host.Storage;

/// <summary>
/// The bytes of an index file as read, and where each record (by object identity) lies in them: a writer copies
/// unchanged records instead of encoding them again. The copy is only offered when the file is in the writer's own
/// form: known at once for a file whose checksum holds, else checked the first time a write asks (a read that is
/// never followed by a write — <c>list</c>, <c>inspect</c> — never pays for the check).
/// </summary>
internal sealed class RawIndex
{
    readonly byte[] bytes;
    readonly RecordSpans spans;
    readonly Dictionary<ImageRecord, int> positions;
    readonly Func<bool>? check;
    bool? usable;

    /// <param name="bytes">The file.</param>
    /// <param name="records">Each record read and where its text lies.</param>
    /// <param name="trusted">True when the file is known to be in the writer's form; else <paramref name="isWriterForm"/> decides, once.</param>
    /// <param name="isWriterForm">Whether the text is exactly what the writer would make of the records.</param>
    public RawIndex(byte[] bytes, RecordSpans records, bool trusted, Func<bool>? isWriterForm = null)
    {
        this.bytes = bytes;
        spans = records;
        positions = new Dictionary<ImageRecord, int>(records.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < records.Count; i++) positions[records[i].Record] = i;
        usable = trusted ? true : null;
        check = isWriterForm;
    }

    /// <summary>The file read.</summary>
    public ReadOnlySpan<byte> Bytes => bytes;

    /// <summary>
    /// Where the text of <paramref name="record"/> lies in <see cref="Bytes"/>, when it is one of the records read (the
    /// very object) and the file is in the writer's form.
    /// </summary>
    public bool TryGetRange(ImageRecord record, out int start, out int length)
    {
        usable ??= check?.Invoke() ?? false;
        if (usable.Value && positions.TryGetValue(record, out var position))
        {
            (_, start, length) = spans[position];
            return true;
        }
        (start, length) = (0, 0);
        return false;
    }
}
