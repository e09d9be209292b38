using System.Formats.Tar;
using System.IO.Compression;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Oci;

/// <summary>
/// Streams a tar of an OCI layout (plain or gzipped) once and writes the parts a layout reader needs
/// (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/&lt;alg&gt;/&lt;hex&gt;</c>) into a directory. Everything else is skipped.
/// </summary>
/// <remarks>
/// Hostile archives: an entry whose name is absolute or has a <c>..</c> component is refused wherever it is; a link,
/// device or FIFO is refused when it has one of the needed names (elsewhere it is skipped, as it is never extracted);
/// a needed name that appears twice is refused (which copy is meant would be ambiguous).
/// </remarks>
internal static class OciArchiveExtractor
{
    public static async Task ExtractAsync(string archive, string target, string source, CancellationToken cancellationToken)
    {
        if (Directory.Exists(archive)) throw new ImageSourceException($"{source}: is a directory, not an archive (use oci:{archive})");
        if (!File.Exists(archive)) throw new ImageSourceException($"{source}: no such file");

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
            Stream tar = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            await using (tar)
            {
                try
                {
                    await ExtractEntriesAsync(tar, target, source, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
                {
                    throw new ImageSourceException($"{source}: not a valid tar archive: {Digests.Printable(e.Message)}", e);
                }
            }
        }
    }

    static async Task ExtractEntriesAsync(Stream tar, string target, string source, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        var sawAny = false;
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            sawAny = true;
            var name = entry.Name;
            if (name.StartsWith('/'))
                throw new ImageSourceException($"{source}: refusing archive entry with an absolute path '{Digests.Printable(name)}'");
            while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
            var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Contains(".."))
                throw new ImageSourceException($"{source}: refusing archive entry with '..' in its path '{Digests.Printable(entry.Name)}'");
            if (entry.EntryType is TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes) continue;
            if (!IsNeeded(parts)) continue;

            var relative = string.Join('/', parts);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                throw new ImageSourceException(entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink
                    ? $"{source}: refusing archive entry '{Digests.Printable(relative)}': it is a link"
                    : $"{source}: refusing archive entry '{Digests.Printable(relative)}': not a regular file ({entry.EntryType})");

            var path = Path.Combine([target, .. parts]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            FileStream output;
            try
            {
                output = new FileStream(path, new FileStreamOptions
                {
                    // The temp directory is 0700, so the default file mode exposes nothing.
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 17, Options = FileOptions.Asynchronous,
                });
            }
            catch (IOException) when (File.Exists(path))
            {
                throw new ImageSourceException($"{source}: the archive holds '{Digests.Printable(relative)}' twice");
            }
            await using (output)
            {
                if (entry.DataStream is { } data) await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
        }
        if (!sawAny) throw new ImageSourceException($"{source}: the archive is empty");
    }

    /// <summary><c>oci-layout</c>, <c>index.json</c> and <c>blobs/ALG/HEX</c> with a valid digest; nothing else.</summary>
    static bool IsNeeded(string[] parts) => parts switch
    {
        ["oci-layout"] or ["index.json"] => true,
        ["blobs", var algorithm, var hex] => Digests.IsValid($"{algorithm}:{hex}"),
        _ => false,
    };
}
