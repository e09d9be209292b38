using System.Security.Cryptography;
using System.Text;
using ImageCache.Contracts;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// The default builder: writes an ext4 image in managed code, without root or external tools.
/// </summary>
/// <remarks>
/// Sizing happens before anything is written: automatic sizing is the data estimate from
/// <see cref="BuildRequest.ContentBytesHint"/> and <see cref="BuildRequest.EntryCountHint"/> plus the metadata
/// plus max(64 MiB, 10 %), rounded up to a MiB; a pinned <see cref="BuildRequest.SizeBytes"/> that cannot hold
/// the estimate is refused with the size needed. Output is reproducible: the UUID and hash seed derive from
/// <see cref="BuildRequest.ContentKey"/>, the times from the entries.
/// </remarks>
[Builder("ext4", "ext4", Description = "managed ext4 writer (no root, no tools)")]
public sealed class Ext4Builder : IFilesystemBuilder
{
    /// <inheritdoc />
    /// <exception cref="FilesystemBuildException">The pinned size is too small, an entry cannot be written, or an option is unknown.</exception>
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entries);
        var (journal, checksums) = ParseOptions(request.Options);
        var (geometry, fileLength) = Plan(request, journal);
        var (uuid, hashSeed) = DeriveIdentity(request.ContentKey);
        long written = 0;
        var stream = new FileStream(request.OutputPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            bufferSize: 0, FileOptions.Asynchronous);
        var completed = false;
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                stream.SetLength(fileLength); // a hole: only what the writer writes takes space
                var writer = new Ext4Writer(stream, geometry, uuid, hashSeed, journal, checksums);
                await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await writer.AddAsync(entry, cancellationToken).ConfigureAwait(false);
                    if (++written % 1000 == 0) request.Progress?.Report(new BuildProgress("writing", written));
                }

                request.Progress?.Report(new BuildProgress("metadata", written));
                await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
            }

            completed = true;
        }
        finally
        {
            if (!completed) TryDelete(request.OutputPath);
        }

        return new BuildResult(fileLength, written);
    }

    /// <summary>
    /// The options this builder takes: <c>journal=true|false</c> (default true; the CLI's <c>--no-journal</c>) and
    /// <c>metadata_csum=true|false</c> (default true, as mke2fs on Debian 12; false for kernels older than 3.18).
    /// </summary>
    /// <exception cref="FilesystemBuildException">An unknown option or value.</exception>
    internal static (bool Journal, bool Checksums) ParseOptions(IReadOnlyDictionary<string, string> options)
    {
        bool journal = true, checksums = true;
        foreach (var (key, value) in options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            if (key is not ("journal" or "metadata_csum"))
                throw new FilesystemBuildException($"ext4: unknown builder option '{key}' (this builder takes journal=true|false, metadata_csum=true|false).");
            var flag = value switch
            {
                "true" or "yes" or "1" => true,
                "false" or "no" or "0" => false,
                _ => throw new FilesystemBuildException($"ext4: builder option {key}={value} must be true or false."),
            };
            if (key == "journal") journal = flag;
            else checksums = flag;
        }

        return (journal, checksums);
    }

    /// <summary>The layout and the output file's length, or the refusal of a pinned size that is too small.</summary>
    internal static (Ext4Geometry Geometry, long FileLength) Plan(BuildRequest request, bool journal = true)
    {
        var dataBlocks = Ext4Sizing.EstimateDataBlocks(Math.Max(0, request.ContentBytesHint), Math.Max(0, request.EntryCountHint));
        var minInodes = Ext4Sizing.MinimumInodes(Math.Max(0, request.EntryCountHint));
        if (request.SizeBytes is not { } pinned)
        {
            var automatic = Ext4Sizing.Smallest(dataBlocks, minInodes, withFreeMargin: true, journal);
            if (automatic.BlocksCount > uint.MaxValue)
                throw new FilesystemBuildException("ext4: the image needs more than 16 TiB, which needs the 64bit feature this writer does not write yet.");
            return (automatic, automatic.BlocksCount * Ext4Constants.BlockSize);
        }

        if (pinned / Ext4Constants.BlockSize > uint.MaxValue)
            throw new FilesystemBuildException($"ext4: the pinned size of {pinned} bytes is over 16 TiB, which needs the 64bit feature this writer does not write yet.");
        var geometry = Ext4Geometry.TryCreate(pinned / Ext4Constants.BlockSize, minInodes, trimTail: true);
        if (geometry is null || geometry.TotalDataBlocks < dataBlocks + (journal ? Ext4Journal.DefaultBlocks(geometry.BlocksCount) : 0))
        {
            var needed = Ext4Sizing.Smallest(dataBlocks, minInodes, withFreeMargin: false, journal);
            throw new FilesystemBuildException(
                $"ext4: the pinned size of {pinned} bytes is too small for this image; it needs at least {Ext4Sizing.DescribeMiB(needed.BlocksCount)}.");
        }

        return (geometry, pinned);
    }

    /// <summary>UUID (RFC 4122 version 4 layout) and htree hash seed from the content key, so two builds are identical.</summary>
    internal static (byte[] Uuid, byte[] HashSeed) DeriveIdentity(string contentKey)
    {
        var uuid = SHA256.HashData(Encoding.UTF8.GetBytes("imagecache/ext4/uuid\n" + contentKey))[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x40);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes("imagecache/ext4/hash-seed\n" + contentKey))[..16];
        return (uuid, seed);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
