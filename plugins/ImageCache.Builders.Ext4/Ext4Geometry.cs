using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// Where everything lives, without flex_bg: each block group is
/// [superblock + group descriptor table, only in groups 0, 1 and powers of 3, 5, 7 (sparse_super)]
/// [block bitmap][inode bitmap][inode table][data blocks]. With 4 KiB blocks, s_first_data_block is 0 and the
/// primary superblock sits at byte 1024 of block 0. Pure: no IO.
/// </summary>
internal sealed record Ext4Geometry(long BlocksCount, int GroupCount, int InodesPerGroup)
{
    /// <summary>Blocks of the group descriptor table (32-byte descriptors without 64bit).</summary>
    public int GdtBlocks => (GroupCount * GroupDescriptorSize + BlockSize - 1) / BlockSize;

    public int InodeTableBlocks => InodesPerGroup / InodesPerBlock;

    public long InodesCount => (long)InodesPerGroup * GroupCount;

    public long GroupStart(int group) => (long)group * BlocksPerGroup;

    public long GroupEnd(int group) => Math.Min(GroupStart(group) + BlocksPerGroup, BlocksCount);

    /// <summary>sparse_super: backups in groups 0, 1 and the powers of 3, 5 and 7.</summary>
    public static bool HasSuperblock(int group) =>
        group <= 1 || IsPowerOf(group, 3) || IsPowerOf(group, 5) || IsPowerOf(group, 7);

    public long BlockBitmap(int group) => GroupStart(group) + (HasSuperblock(group) ? 1 + GdtBlocks : 0);

    public long InodeBitmap(int group) => BlockBitmap(group) + 1;

    public long InodeTable(int group) => BlockBitmap(group) + 2;

    public long DataStart(int group) => InodeTable(group) + InodeTableBlocks;

    public long DataBlocks(int group) => Math.Max(0, GroupEnd(group) - DataStart(group));

    public long TotalDataBlocks
    {
        get
        {
            long total = 0;
            for (var g = 0; g < GroupCount; g++) total += DataBlocks(g);
            return total;
        }
    }

    /// <summary>Below this, a last group is not worth its bitmaps and inode table (mke2fs drops such a tail too).</summary>
    private const int MinimumLastGroupDataBlocks = 64;

    /// <summary>
    /// Lays out <paramref name="blocks"/> blocks with room for at least <paramref name="minInodes"/> inodes
    /// (and one inode per 16 KiB, as mke2fs's default inode ratio). With <paramref name="trimTail"/>, a last
    /// group too small for its metadata is dropped; without, such a layout is rejected. Null if impossible.
    /// </summary>
    public static Ext4Geometry? TryCreate(long blocks, long minInodes, bool trimTail)
    {
        while (blocks > 0)
        {
            var groups = (int)((blocks + BlocksPerGroup - 1) / BlocksPerGroup);
            var byRatio = blocks * BlockSize / 16384;
            var wanted = Math.Max(minInodes, byRatio);
            var perGroup = (wanted + groups - 1) / groups;
            perGroup = (perGroup + InodesPerBlock - 1) / InodesPerBlock * InodesPerBlock; // whole inode-table blocks
            perGroup = Math.Max(perGroup, InodesPerBlock);
            if (perGroup > BlocksPerGroup) // the inode bitmap is one block: at most 32768 inodes per group
            {
                if (groups * (long)BlocksPerGroup < minInodes) return null;
                perGroup = BlocksPerGroup;
            }

            var geometry = new Ext4Geometry(blocks, groups, (int)perGroup);
            if (geometry.InodesCount < minInodes) return null;
            var last = groups - 1;
            if (geometry.GroupEnd(last) - geometry.DataStart(last) >= MinimumLastGroupDataBlocks) return geometry;
            if (!trimTail || groups == 1) return null;
            blocks = geometry.GroupStart(last);
        }

        return null;
    }

    private static bool IsPowerOf(int value, int radix)
    {
        while (value > 1 && value % radix == 0) value /= radix;
        return value == 1;
    }
}
