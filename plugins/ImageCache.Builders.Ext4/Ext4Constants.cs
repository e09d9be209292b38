namespace ImageCache.Builders.Ext4;

/// <summary>
/// On-disk facts of ext4 used by this writer (Linux Documentation/filesystems/ext4, "Data Structures and
/// Algorithms" / "The ext4 on-disk layout"). All multi-byte fields on disk are little-endian.
/// </summary>
internal static class Ext4Constants
{
    /// <summary>Block size: 4 KiB (s_log_block_size = 2, since block size = 2^(10 + s_log_block_size)).</summary>
    public const int BlockSize = 4096;
    public const int LogBlockSize = 2;

    /// <summary>Blocks per group: one block bitmap block holds 8 × 4096 bits.</summary>
    public const int BlocksPerGroup = BlockSize * 8;

    /// <summary>Inode record size (s_inode_size); the first 128 bytes are the ext2 "good old" inode.</summary>
    public const int InodeSize = 256;
    public const int InodesPerBlock = BlockSize / InodeSize;

    /// <summary>i_extra_isize: the bytes used past the first 128, up to and including i_projid (0x80..0x9F).</summary>
    public const int ExtraInodeSize = 32;

    /// <summary>Group descriptor size without the 64bit feature.</summary>
    public const int GroupDescriptorSize = 32;

    /// <summary>The primary superblock always starts at byte 1024, whatever the block size; it is 1024 bytes long.</summary>
    public const int SuperblockOffset = 1024;
    public const int SuperblockSize = 1024;
    public const ushort SuperblockMagic = 0xEF53;

    /// <summary>Reserved inode numbers: 1 bad blocks, 2 root directory, 11 the first non-reserved (lost+found by convention).</summary>
    public const uint RootInode = 2;
    public const uint FirstNonReservedInode = 11;
    public const uint LostAndFoundInode = 11;
    public const uint JournalInode = 8;

    // s_feature_compat / s_feature_incompat / s_feature_ro_compat bits.
    public const uint CompatHasJournal = 0x4;        // an internal journal in s_journal_inum
    public const uint CompatExtAttr = 0x8;           // extended attributes (in inodes and xattr blocks)
    public const uint CompatDirIndex = 0x20;         // directories may be hashed b-trees (htree)
    public const uint IncompatFiletype = 0x2;        // directory entries carry a file type byte
    public const uint IncompatExtents = 0x40;        // files may use extent trees (EXT4_EXTENTS_FL)
    public const uint RoCompatSparseSuper = 0x1;     // superblock backups only in groups 0, 1 and powers of 3, 5, 7
    public const uint RoCompatLargeFile = 0x2;       // i_size_high is used (files over 2 GiB)
    public const uint RoCompatDirNlink = 0x20;       // a directory with 65000+ subdirectories has i_links_count 1
    public const uint RoCompatExtraIsize = 0x40;     // s_min_extra_isize / s_want_extra_isize are honoured
    public const uint RoCompatMetadataCsum = 0x400;  // crc32c checksums on all metadata

    /// <summary>bg_flags: the group's inode table is zeroed (EXT4_BG_INODE_ZEROED); only read with checksummed descriptors.</summary>
    public const ushort GroupFlagInodeTableZeroed = 0x4;

    // i_mode file type bits (S_IF*).
    public const ushort ModeFifo = 0x1000;
    public const ushort ModeCharDevice = 0x2000;
    public const ushort ModeDirectory = 0x4000;
    public const ushort ModeBlockDevice = 0x6000;
    public const ushort ModeRegular = 0x8000;
    public const ushort ModeSymlink = 0xA000;

    /// <summary>i_flags: the inode's i_block holds an extent tree (EXT4_EXTENTS_FL).</summary>
    public const uint InodeFlagExtents = 0x80000;

    /// <summary>i_flags: the directory is a hashed b-tree (EXT4_INDEX_FL).</summary>
    public const uint InodeFlagIndex = 0x1000;

    /// <summary>i_block is 15 × 4 bytes: an extent tree root, a fast symlink target, or a device number.</summary>
    public const int InodeBlockBytes = 60;

    /// <summary>A symlink target shorter than this lives in i_block ("fast symlink"); longer ones take a data block.</summary>
    public const int FastSymlinkMax = InodeBlockBytes - 1;

    // Extent trees: a 12-byte header, then 12-byte entries (leaf extents or index entries).
    public const ushort ExtentMagic = 0xF30A;
    public const int ExtentHeaderSize = 12;
    public const int ExtentEntrySize = 12;

    /// <summary>Entries in the root node held in i_block: (60 − 12) / 12.</summary>
    public const int ExtentsInInode = 4;

    /// <summary>Entries in a leaf or index block: (4096 − 12) / 12.</summary>
    public const int ExtentsPerBlock = (BlockSize - ExtentHeaderSize) / ExtentEntrySize;

    /// <summary>An initialized extent covers at most 2^15 blocks (ee_len values above that mark unwritten extents).</summary>
    public const int MaxExtentLength = 32768;

    // ext4_dir_entry_2: inode (4), rec_len (2), name_len (1), file_type (1), name (padded to 4 bytes).
    public const int DirEntryHeaderSize = 8;
    public const int MaxNameLength = 255;

    // Directory entry file_type values (with the filetype feature).
    public const byte FileTypeRegular = 1;
    public const byte FileTypeDirectory = 2;
    public const byte FileTypeCharDevice = 3;
    public const byte FileTypeBlockDevice = 4;
    public const byte FileTypeFifo = 5;
    public const byte FileTypeSymlink = 7;

    /// <summary>With dir_nlink, a directory whose link count would reach this is given the count 1 instead.</summary>
    public const int DirLinkMax = 65000;

    /// <summary>Link-count ceiling for files (EXT4_LINK_MAX).</summary>
    public const int LinkMax = 65000;
}
