using System.Formats.Tar;
using System.IO.Compression;
using ImageCache.Contracts;
using ImageCache.Host.Layers;

namespace ImageCache.Fetchers.Oci;

/// <summary>Streams the entries of an archive file that is a tar, plain or gzip (sniffed from its magic bytes), once.</summary>
internal static class ArchiveTar
{
    /// <summary>
    /// Calls <paramref name="onEntry"/> for each entry (global PAX headers skipped). An empty or malformed tar
    /// becomes an <see cref="ImageSourceException"/> whose message starts with <paramref name="source"/>.
    /// </summary>
    public static async Task ReadAsync(string archive, string source, Func<TarEntry, Task> onEntry, CancellationToken cancellationToken)
    {
        FileStream file;
        try
        {
            file = new FileStream(archive, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 1 << 17,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageSourceException($"{source}: cannot read the archive: {e.Message}", e);
        }

        await using (file)
        {
            var magic = new byte[2];
            var got = await file.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            // gzip magic 1f 8b; anything else is read as a plain tar.
            var gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            Stream FromStart()
            {
                file.Position = 0;
                return gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            }

            // .NET's reader says only "Unable to parse number." of a file that is no tar at all; check the first
            // header's checksum first, and read from the start again (a gzip stream cannot seek, so it is reopened).
            var first = new byte[TarFormat.BlockSize];
            int firstRead;
            var head = FromStart();
            try { firstRead = await head.ReadAtLeastAsync(first, first.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false); }
            catch (InvalidDataException e) { throw new ImageSourceException($"{source}: not valid gzip: {Digests.Printable(e.Message)}", e); }
            finally { if (gzip) await head.DisposeAsync().ConfigureAwait(false); }
            var compressed = gzip ? " (gunzipped)" : "";
            if (firstRead == 0) throw new ImageSourceException($"{source}: not a tar archive (it is empty)");
            if (firstRead < first.Length)
                throw new ImageSourceException($"{source}: not a valid tar archive{compressed}: {TarErrors.ShorterThanAHeader(firstRead)}");
            if (!TarHeaderDecoder.IsZeroBlock(first))
            {
                try { TarHeaderDecoder.VerifyChecksum(first, offset: 0); }
                catch (InvalidDataException e) { throw new ImageSourceException($"{source}: not a valid tar archive{compressed}: {e.Message}", e); }
            }

            await using var tar = FromStart();
            string? lastEntry = null;
            try
            {
                await using var reader = new TarReader(tar, leaveOpen: true);
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    lastEntry = entry.Name;
                    if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
                    await onEntry(entry).ConfigureAwait(false);
                }
                if (lastEntry is null) throw new ImageSourceException($"{source}: not a tar archive (it is empty)");
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                var where = lastEntry is null ? "" : $" (in or after entry '{Digests.Printable(lastEntry)}')";
                throw new ImageSourceException($"{source}: not a valid tar archive: {Digests.Printable(e.Message)}{where}", e);
            }
        }
    }
}
