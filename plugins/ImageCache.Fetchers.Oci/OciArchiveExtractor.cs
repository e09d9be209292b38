using System.Formats.Tar;
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

        await ArchiveTar.ReadAsync(archive, source, entry => ExtractEntryAsync(entry, target, source, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    static async Task ExtractEntryAsync(TarEntry entry, string target, string source, CancellationToken cancellationToken)
    {
        var name = entry.Name;
        if (name.StartsWith('/'))
            throw new ImageSourceException($"{source}: refusing archive entry with an absolute path '{Digests.Printable(name)}'");
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Contains(".."))
            throw new ImageSourceException($"{source}: refusing archive entry with '..' in its path '{Digests.Printable(entry.Name)}'");
        if (entry.EntryType is TarEntryType.Directory) return;
        if (!IsNeeded(parts)) return;

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

    /// <summary><c>oci-layout</c>, <c>index.json</c> and <c>blobs/ALG/HEX</c> with a valid digest; nothing else.</summary>
    static bool IsNeeded(string[] parts) => parts switch
    {
        ["oci-layout"] or ["index.json"] => true,
        ["blobs", var algorithm, var hex] => Digests.IsValid($"{algorithm}:{hex}"),
        _ => false,
    };
}
