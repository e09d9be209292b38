using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// Picks the image size and layout before anything is written, from the request's hints. Pure.
/// The data estimate is an upper bound for well-formed hints: every file's last partial block, one block per
/// directory or slow symlink, one xattr block per entry (the hints do not say which entries have xattrs too large
/// for the inode, so every entry may need one; blocks never used stay holes of the sparse output), 264 bytes per
/// directory entry, and extent leaf blocks for the largest files.
/// </summary>
internal static class Ext4Sizing
{
    private const long MiB = 1024 * 1024;
    private const long BlocksPerMiB = MiB / BlockSize;

    /// <summary>The free space automatic sizing adds: max(64 MiB, 10 % of the image).</summary>
    private const long MinimumFreeBlocks = 64 * BlocksPerMiB;

    public static long EstimateDataBlocks(long contentBytes, long entryCount)
    {
        var content = (contentBytes + BlockSize - 1) / BlockSize;
        var perEntry = entryCount; // a partial last block, a directory's first block or a slow symlink's block
        var xattrBlocks = entryCount; // at most one xattr block per inode (sets that fit the inode take none)
        var directoryEntries = (entryCount * (DirEntryHeaderSize + 256) + BlockSize - 1) / BlockSize;
        var extentLeaves = 2 * (content / MaxExtentLength + 1);
        const long rootAndLostFound = 1 + 4;
        return content + perEntry + xattrBlocks + directoryEntries + extentLeaves + rootAndLostFound;
    }

    public static long MinimumInodes(long entryCount) => entryCount + FirstNonReservedInode + 16;

    /// <summary>The smallest whole-MiB layout whose data blocks hold <paramref name="dataBlocks"/> plus, when asked, the automatic free margin.</summary>
    /// <param name="dataBlocks">The data estimate.</param>
    /// <param name="minInodes">Inodes needed.</param>
    /// <param name="withFreeMargin">Add the automatic free margin (else the bare minimum, for the refusal message).</param>
    /// <param name="journal">Whether the layout must also hold the journal mke2fs would give a file system of its size.</param>
    public static Ext4Geometry Smallest(long dataBlocks, long minInodes, bool withFreeMargin, bool journal)
    {
        var blocks = RoundUpToMiB(dataBlocks + BlocksPerMiB);
        for (var attempt = 0; attempt < 100_000; attempt++)
        {
            var geometry = Ext4Geometry.TryCreate(blocks, minInodes, trimTail: false);
            var margin = withFreeMargin ? Math.Max(MinimumFreeBlocks, (blocks + 9) / 10) : 0;
            var needed = dataBlocks + margin + (journal ? Ext4Journal.DefaultBlocks(blocks) : 0);
            if (geometry is not null && geometry.TotalDataBlocks >= needed) return geometry;
            var deficit = geometry is null ? BlocksPerMiB : needed - geometry.TotalDataBlocks;
            blocks = RoundUpToMiB(blocks + Math.Max(BlocksPerMiB, deficit));
        }

        throw new InvalidOperationException("ext4 sizing did not converge.");
    }

    public static long RoundUpToMiB(long blocks) => (blocks + BlocksPerMiB - 1) / BlocksPerMiB * BlocksPerMiB;

    public static string DescribeMiB(long blocks) => $"{(blocks + BlocksPerMiB - 1) / BlocksPerMiB} MiB";
}
