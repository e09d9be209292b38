using System.Buffers;
using System.Text;
using static ImageCache.Host.Layers.TarFormat;

namespace ImageCache.Host.Layers;

/// <summary>
/// Reads a tar archive (v7, POSIX ustar and pax, GNU, star) forward-only from any stream, never seeking, one entry
/// at a time. PAX extended headers ('x' for the next entry, 'g' for all following ones) and GNU long names ('L')
/// and long link targets ('K') are applied to the entry they describe and not returned themselves.
/// </summary>
/// <remarks>
/// <para>Why our own reader: System.Formats.Tar (checked on .NET 10.0.12) decodes PAX values into strings as UTF-8,
/// so binary <c>SCHILY.xattr.security.capability</c> values lose their non-UTF-8 bytes (0xFF becomes U+FFFD), and it
/// rejects any PAX value containing '\n'. See <see cref="PaxRecords"/> for the evidence.</para>
/// <para>Refused with <see cref="InvalidDataException"/>: GNU sparse files (typeflag 'S' or PAX <c>GNU.sparse.*</c>;
/// OCI says layers should not hold them), GNU multi-volume ('M'), dump directories ('D'), old long names ('N'),
/// and any typeflag POSIX does not define (POSIX would extract them as regular files; for a root filesystem an
/// error is safer than a silent guess).</para>
/// <para>End of archive: two zero blocks, a single zero block followed by end of stream, or end of stream where the
/// next header would start (many tools stop there). Anything after the end marker is not read.</para>
/// </remarks>
public sealed class TarReader : IAsyncDisposable, IDisposable
{
    readonly Stream archive;
    readonly TarReaderOptions options;
    readonly bool leaveOpen;
    readonly byte[] block = new byte[BlockSize];
    // Global PAX records ('g'): apply to every later entry until replaced; an empty value removes the keyword.
    readonly Dictionary<string, byte[]> globalPax = new(StringComparer.Ordinal);
    long position;
    TarEntryDataStream? current;
    long currentDataStart;
    bool finished;
    bool disposed;

    /// <summary>Reads <paramref name="archive"/> from its current position.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="archive"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="archive"/> cannot be read, or a limit is not positive.</exception>
    public TarReader(Stream archive, TarReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(archive);
        if (!archive.CanRead)
            throw new ArgumentException("The archive stream must be readable.", nameof(archive));
        options ??= TarReaderOptions.Default;
        if (options.MaxPaxHeaderSize <= 0 || options.MaxNameLength <= 0)
            throw new ArgumentException("Tar reader limits must be positive.", nameof(options));
        this.archive = archive;
        this.options = options;
        this.leaveOpen = leaveOpen;
    }

    /// <summary>
    /// Skips what is left of the previous entry's data and returns the next entry, or null at the end of the archive.
    /// </summary>
    /// <exception cref="InvalidDataException">The archive is truncated, a checksum or numeric field is bad, a PAX
    /// record is malformed, a limit of <see cref="TarReaderOptions"/> is exceeded, or the entry is a GNU sparse file or
    /// of an unsupported type. The message names the entry, its header offset and the problem.</exception>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<TarEntry?> GetNextEntryAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (finished)
            return null;
        await SkipCurrentAsync(cancellationToken).ConfigureAwait(false);

        var meta = new PendingMeta();
        while (true)
        {
            long offset = position;
            int read = await ReadBlockAsync(cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (meta.Present)
                    throw TarErrors.Truncated(meta.Describe, meta.FirstOffset, "after an extended header, before the entry it describes");
                finished = true;
                return null;
            }
            if (read < BlockSize && offset == 0)
                throw new InvalidDataException(TarErrors.ShorterThanAHeader(read));
            if (read < BlockSize)
                throw TarErrors.Truncated(meta.Present ? meta.Describe : "(header)", offset, $"inside a header block ({read} of {BlockSize} bytes)");

            if (TarHeaderDecoder.IsZeroBlock(block))
            {
                if (meta.Present)
                    throw TarErrors.Malformed(meta.Describe, meta.FirstOffset, "an extended header is followed by the end-of-archive marker instead of an entry");
                // The end marker is two zero blocks; a lone zero block at end of stream is accepted too (GNU tar warns).
                read = await ReadBlockAsync(cancellationToken).ConfigureAwait(false);
                if (!TarHeaderDecoder.IsZeroBlock(block.AsSpan(0, read)))
                    throw TarErrors.Malformed("(end of archive)", offset, "a zero block is followed by a non-zero block; the end-of-archive marker is two zero blocks");
                finished = true;
                return null;
            }

            var fields = TarHeaderDecoder.Decode(block, offset);
            string headerName = Encoding.UTF8.GetString(fields.Name);
            if (!meta.Present)
                meta.FirstOffset = offset;

            switch (fields.TypeFlag)
            {
                case TypePaxLocal:
                {
                    var data = await ReadMetaDataAsync(fields, headerName, offset, options.MaxPaxHeaderSize, "PAX extended header", cancellationToken).ConfigureAwait(false);
                    meta.PaxBytes += data.Length;
                    if (meta.PaxBytes > options.MaxPaxHeaderSize)
                        throw TarErrors.Malformed(headerName, offset, $"PAX extended headers for one entry exceed the limit of {options.MaxPaxHeaderSize} bytes");
                    meta.Pax ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
                    PaxRecords.Parse(data, meta.Pax, headerName, offset);
                    meta.Present = true;
                    continue;
                }
                case TypePaxGlobal:
                {
                    var data = await ReadMetaDataAsync(fields, headerName, offset, options.MaxPaxHeaderSize, "PAX global header", cancellationToken).ConfigureAwait(false);
                    var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                    PaxRecords.Parse(data, records, headerName, offset);
                    foreach (var (key, value) in records)
                    {
                        if (value.Length == 0) globalPax.Remove(key);
                        else globalPax[key] = value;
                    }
                    if (globalPax.Sum(kv => kv.Key.Length + kv.Value.Length) > options.MaxPaxHeaderSize)
                        throw TarErrors.Malformed(headerName, offset, $"PAX global records exceed the limit of {options.MaxPaxHeaderSize} bytes");
                    continue;
                }
                case TypeGnuLongName:
                case TypeGnuLongLink:
                {
                    // The data is the name followed by a NUL (GNU tar counts the NUL in the size).
                    bool isName = fields.TypeFlag == TypeGnuLongName;
                    var data = await ReadMetaDataAsync(fields, headerName, offset, options.MaxNameLength + 1, isName ? "GNU long name" : "GNU long link", cancellationToken).ConfigureAwait(false);
                    var value = TarHeaderDecoder.CString(data).ToArray();
                    if (isName) meta.LongName = value;
                    else meta.LongLink = value;
                    meta.Present = true;
                    continue;
                }
                case TypeGnuVolumeLabel:
                    await SkipAsync(fields.Size + Padding(fields.Size), headerName, offset, cancellationToken).ConfigureAwait(false);
                    continue;
                case TypeGnuSparse:
                    throw TarErrors.Sparse(Encoding.UTF8.GetString(meta.LongName ?? fields.Name), offset);
                case TypeRegular or TypeRegularV7 or TypeContiguous or TypeHardLink or TypeSymLink
                    or TypeChar or TypeBlock or TypeDirectory or TypeFifo:
                    return StartEntry(fields, meta, offset);
                default:
                    throw TarErrors.Malformed(Encoding.UTF8.GetString(meta.LongName ?? fields.Name), offset, UnsupportedType(fields.TypeFlag));
            }
        }
    }

    TarEntry StartEntry(TarHeaderFields fields, PendingMeta meta, long offset)
    {
        // Effective PAX records: the global set, then this entry's own 'x' records; an empty local value removes the
        // keyword, so the header field applies again.
        var pax = new Dictionary<string, byte[]>(globalPax, StringComparer.Ordinal);
        if (meta.Pax is not null)
            foreach (var (key, value) in meta.Pax)
            {
                if (value.Length == 0) pax.Remove(key);
                else pax[key] = value;
            }

        // Precedence for names: PAX path/linkpath over GNU long name/link over the header fields (ustar prefix joined).
        byte[] rawName = pax.GetValueOrDefault(PaxRecords.Path) ?? meta.LongName ?? fields.Name;
        byte[] rawLink = pax.GetValueOrDefault(PaxRecords.LinkPath) ?? meta.LongLink ?? fields.LinkName;
        string name = Encoding.UTF8.GetString(rawName);
        long reportOffset = meta.Present ? meta.FirstOffset : offset;

        if (pax.Keys.Any(k => k.StartsWith(PaxRecords.GnuSparsePrefix, StringComparison.Ordinal)))
            throw TarErrors.Sparse(pax.TryGetValue(PaxRecords.GnuSparseName, out var sparseName) ? Encoding.UTF8.GetString(sparseName) : name, reportOffset);
        if (rawName.Length > options.MaxNameLength || rawLink.Length > options.MaxNameLength)
            throw TarErrors.Malformed(name, reportOffset, $"the name or link target is longer than the limit of {options.MaxNameLength} bytes");
        if (rawName.Length == 0)
            throw TarErrors.Malformed(name, reportOffset, "the entry has an empty name");
        // PAX path/linkpath come from length-counted records and could hold NUL; no header field can.
        if (rawName.Contains((byte)0) || rawLink.Contains((byte)0))
            throw TarErrors.Malformed(name, reportOffset, "the name or link target contains a NUL byte");

        // PAX keywords override the fixed-width header fields they name (POSIX pax, "pax Extended Header Keyword
        // Precedence"): that is how values too large for 8/12 octal digits, and sub-second mtimes, are carried.
        long size = PaxNumber(pax, PaxRecords.Size, fields.Size, name, reportOffset);
        long uid = PaxNumber(pax, PaxRecords.Uid, fields.Uid, name, reportOffset);
        long gid = PaxNumber(pax, PaxRecords.Gid, fields.Gid, name, reportOffset);
        DateTimeOffset mtime;
        if (pax.TryGetValue(PaxRecords.Mtime, out var mtimeValue))
        {
            if (!PaxRecords.TryParseTime(mtimeValue, out mtime))
                throw TarErrors.Malformed(name, reportOffset, $"the PAX mtime '{TarErrors.Quote(mtimeValue)}' is not a time");
        }
        else if (fields.MtimeSeconds is < -62135596800L or > 253402300799L)
            throw TarErrors.Malformed(name, reportOffset, $"the mtime {fields.MtimeSeconds} is out of range");
        else
            mtime = DateTimeOffset.FromUnixTimeSeconds(fields.MtimeSeconds);

        var kind = fields.TypeFlag switch
        {
            TypeHardLink => TarEntryKind.HardLink,
            TypeSymLink => TarEntryKind.SymbolicLink,
            TypeChar => TarEntryKind.CharacterDevice,
            TypeBlock => TarEntryKind.BlockDevice,
            TypeDirectory => TarEntryKind.Directory,
            TypeFifo => TarEntryKind.Fifo,
            // v7 had no directory typeflag: a '\0' entry whose name ends in '/' is a directory.
            TypeRegularV7 when rawName[^1] == (byte)'/' => TarEntryKind.Directory,
            _ => TarEntryKind.RegularFile,
        };
        // Links, devices, directories and FIFOs carry no data whatever the size field says (as Go's archive/tar,
        // which wrote most Docker layers, reads them); their Size is reported as 0 so DataStream holds Size bytes.
        if (kind != TarEntryKind.RegularFile)
            size = 0;

        var header = new TarEntryHeader
        {
            Name = name,
            RawName = rawName,
            Kind = kind,
            Mode = fields.Mode,
            Uid = uid,
            Gid = gid,
            Size = size,
            ModifiedTime = mtime,
            LinkName = Encoding.UTF8.GetString(rawLink),
            RawLinkName = rawLink,
            DevMajor = fields.DevMajor,
            DevMinor = fields.DevMinor,
            Uname = pax.TryGetValue(PaxRecords.Uname, out var uname) ? Encoding.UTF8.GetString(uname) : fields.Uname,
            Gname = pax.TryGetValue(PaxRecords.Gname, out var gname) ? Encoding.UTF8.GetString(gname) : fields.Gname,
            Xattrs = Xattrs(pax, name, reportOffset),
        };

        current = new TarEntryDataStream(archive, size, name, reportOffset);
        currentDataStart = position;
        return new TarEntry(header, current, reportOffset);
    }

    static long PaxNumber(Dictionary<string, byte[]> pax, string key, long headerValue, string name, long offset)
    {
        if (!pax.TryGetValue(key, out var value))
            return headerValue;
        if (!PaxRecords.TryParseDecimal(value, out long number))
            throw TarErrors.Malformed(name, offset, $"the PAX {key} '{TarErrors.Quote(value)}' is not a non-negative number");
        return number;
    }

    /// <summary>
    /// Extended attributes travel as PAX records: <c>SCHILY.xattr.NAME=raw bytes</c> (star, GNU tar, Go, BuildKit) and
    /// <c>LIBARCHIVE.xattr.URL-ENCODED-NAME=base64</c> (bsdtar, which writes both). Later records win.
    /// </summary>
    static IReadOnlyDictionary<string, byte[]> Xattrs(Dictionary<string, byte[]> pax, string name, long offset)
    {
        Dictionary<string, byte[]>? xattrs = null;
        foreach (var (key, value) in pax)
        {
            if (key.StartsWith(PaxRecords.SchilyXattrPrefix, StringComparison.Ordinal) && key.Length > PaxRecords.SchilyXattrPrefix.Length)
            {
                (xattrs ??= new(StringComparer.Ordinal))[key[PaxRecords.SchilyXattrPrefix.Length..]] = value;
            }
            else if (key.StartsWith(PaxRecords.LibarchiveXattrPrefix, StringComparison.Ordinal) && key.Length > PaxRecords.LibarchiveXattrPrefix.Length)
            {
                if (!PaxRecords.TryDecodeLibarchiveName(key[PaxRecords.LibarchiveXattrPrefix.Length..], out var xattrName))
                    throw TarErrors.Malformed(name, offset, $"the PAX keyword '{key}' has a bad %-escape");
                if (!PaxRecords.TryDecodeBase64(value, out var bytes))
                    throw TarErrors.Malformed(name, offset, $"the PAX record '{key}' is not base64");
                (xattrs ??= new(StringComparer.Ordinal))[xattrName] = bytes;
            }
        }
        return xattrs ?? (IReadOnlyDictionary<string, byte[]>)EmptyXattrs;
    }

    static readonly Dictionary<string, byte[]> EmptyXattrs = new(StringComparer.Ordinal);

    static string UnsupportedType(byte typeFlag) => typeFlag switch
    {
        TypeGnuMultiVolume => "GNU multi-volume continuation entries (typeflag 'M') are not supported",
        TypeGnuDumpDir => "GNU dump directories (typeflag 'D') are not supported",
        TypeGnuOldLongName => "GNU old long-name entries (typeflag 'N') are not supported",
        >= 0x20 and < 0x7F => $"unsupported typeflag '{(char)typeFlag}'",
        _ => $"unsupported typeflag 0x{typeFlag:x2}",
    };

    /// <summary>Reads a meta entry's data (bounded by <paramref name="limit"/>) and its padding.</summary>
    async ValueTask<byte[]> ReadMetaDataAsync(TarHeaderFields fields, string headerName, long offset, int limit, string what, CancellationToken cancellationToken)
    {
        if (fields.Size > limit)
            throw TarErrors.Malformed(headerName, offset, $"the {what} is {fields.Size} bytes, over the limit of {limit}");
        var data = new byte[fields.Size];
        int read = await archive.ReadAtLeastAsync(data, data.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        position += read;
        if (read < data.Length)
            throw TarErrors.Truncated(headerName, offset, $"inside the {what} ({data.Length - read} of {data.Length} bytes missing)");
        await SkipAsync(Padding(fields.Size), headerName, offset, cancellationToken).ConfigureAwait(false);
        return data;
    }

    async ValueTask SkipCurrentAsync(CancellationToken cancellationToken)
    {
        if (current is null)
            return;
        var entry = current;
        current = null;
        entry.Invalidate();
        // What the caller read went through the data stream; account for it, then discard the rest and the padding.
        position = currentDataStart + (entry.Length - entry.Remaining);
        await SkipAsync(entry.Remaining + Padding(entry.Length), entry.EntryName, entry.HeaderOffset, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Discards <paramref name="count"/> bytes by reading them: the archive stream is never seeked.</summary>
    async ValueTask SkipAsync(long count, string entryName, long offset, CancellationToken cancellationToken)
    {
        if (count == 0)
            return;
        var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(count, 81920));
        try
        {
            while (count > 0)
            {
                int read = await archive.ReadAsync(scratch.AsMemory(0, (int)Math.Min(count, scratch.Length)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    throw TarErrors.Truncated(entryName, offset, $"inside the entry's data or padding ({count} bytes missing)");
                count -= read;
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Reads up to one block; returns fewer than 512 bytes only at end of stream.</summary>
    async ValueTask<int> ReadBlockAsync(CancellationToken cancellationToken)
    {
        int read = await archive.ReadAtLeastAsync(block, BlockSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        position += read;
        return read;
    }

    /// <summary>Disposes the archive stream unless the reader was created with leaveOpen.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        current?.Invalidate();
        if (!leaveOpen) archive.Dispose();
    }

    /// <summary>Disposes the archive stream unless the reader was created with leaveOpen.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        current?.Invalidate();
        if (!leaveOpen) await archive.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Meta entries seen since the last real entry.</summary>
    sealed class PendingMeta
    {
        public bool Present;
        public long FirstOffset;
        public int PaxBytes;
        public Dictionary<string, byte[]>? Pax;
        public byte[]? LongName;
        public byte[]? LongLink;

        public string Describe => LongName is not null ? Encoding.UTF8.GetString(LongName)
            : Pax?.GetValueOrDefault(PaxRecords.Path) is { } path ? Encoding.UTF8.GetString(path) : "(extended header)";
    }
}
