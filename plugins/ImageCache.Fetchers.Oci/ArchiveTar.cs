using System.Formats.Tar;
using System.IO.Compression;
using ImageCache.Contracts;

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
            file.Position = 0;
            // gzip magic 1f 8b; anything else is read as a plain tar.
            Stream tar = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            await using (tar)
            {
                try
                {
                    await using var reader = new TarReader(tar, leaveOpen: true);
                    var sawAny = false;
                    while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                    {
                        sawAny = true;
                        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
                        await onEntry(entry).ConfigureAwait(false);
                    }
                    if (!sawAny) throw new ImageSourceException($"{source}: not a tar archive (it is empty)");
                }
                catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
                {
                    throw new ImageSourceException($"{source}: not a valid tar archive: {Digests.Printable(e.Message)}", e);
                }
            }
        }
    }
}
