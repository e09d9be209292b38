using System.Buffers.Binary;
using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// Encoders of ext4 structures onto spans. No IO here: <see cref="Ext4Writer"/> places the bytes.
/// Offsets are those of struct ext4_super_block, ext4_group_desc, ext4_inode, ext4_extent_header,
/// ext4_extent, ext4_extent_idx and ext4_dir_entry_2.
/// </summary>
internal static class Ext4Encoding
{
    /// <summary>Writes a 1024-byte superblock; <paramref name="groupNumber"/> is s_block_group_nr (non-zero in backups).</summary>
    public static void WriteSuperblock(Span<byte> sb, Ext4SuperblockFields f, int groupNumber)
    {
        sb[..SuperblockSize].Clear();
        var g = f.Geometry;
        U32(sb, 0x00, (uint)g.InodesCount);                 // s_inodes_count
        U32(sb, 0x04, (uint)g.BlocksCount);                 // s_blocks_count_lo
        U32(sb, 0x08, 0);                                   // s_r_blocks_count_lo: no root reserve in a VM rootfs
        U32(sb, 0x0C, (uint)f.FreeBlocks);                  // s_free_blocks_count_lo
        U32(sb, 0x10, (uint)f.FreeInodes);                  // s_free_inodes_count
        U32(sb, 0x14, 0);                                   // s_first_data_block: 0 for block sizes above 1 KiB
        U32(sb, 0x18, LogBlockSize);                        // s_log_block_size
        U32(sb, 0x1C, LogBlockSize);                        // s_log_cluster_size (no bigalloc: equals the block size)
        U32(sb, 0x20, BlocksPerGroup);                      // s_blocks_per_group
        U32(sb, 0x24, BlocksPerGroup);                      // s_clusters_per_group
        U32(sb, 0x28, (uint)g.InodesPerGroup);              // s_inodes_per_group
        U32(sb, 0x2C, 0);                                   // s_mtime: never mounted
        U32(sb, 0x30, f.Timestamp);                         // s_wtime
        U16(sb, 0x34, 0);                                   // s_mnt_count
        U16(sb, 0x36, 0xFFFF);                              // s_max_mnt_count: -1, no mount-count checks
        U16(sb, 0x38, SuperblockMagic);                     // s_magic
        U16(sb, 0x3A, 1);                                   // s_state: cleanly unmounted
        U16(sb, 0x3C, 1);                                   // s_errors: continue
        U32(sb, 0x40, f.Timestamp);                         // s_lastcheck
        U32(sb, 0x44, 0);                                   // s_checkinterval: none
        U32(sb, 0x48, 0);                                   // s_creator_os: Linux
        U32(sb, 0x4C, 1);                                   // s_rev_level: dynamic inode sizes
        U32(sb, 0x54, FirstNonReservedInode);               // s_first_ino
        U16(sb, 0x58, InodeSize);                           // s_inode_size
        U16(sb, 0x5A, (ushort)groupNumber);                 // s_block_group_nr
        U32(sb, 0x5C, f.FeatureCompat);                     // s_feature_compat
        U32(sb, 0x60, f.FeatureIncompat);                   // s_feature_incompat
        U32(sb, 0x64, f.FeatureRoCompat);                   // s_feature_ro_compat
        f.Uuid.AsSpan(0, 16).CopyTo(sb[0x68..]);            // s_uuid
        f.HashSeed.AsSpan(0, 16).CopyTo(sb[0xEC..]);        // s_hash_seed (for htree name hashes)
        sb[0xFC] = 1;                                       // s_def_hash_version: half_md4
        U32(sb, 0x108, f.Timestamp);                        // s_mkfs_time
        U16(sb, 0x15C, ExtraInodeSize);                     // s_min_extra_isize
        U16(sb, 0x15E, ExtraInodeSize);                     // s_want_extra_isize
        U32(sb, 0x160, 1);                                  // s_flags: signed directory hash (as mke2fs on x86)
        if (f.Journal is { } journal)
        {
            U32(sb, 0xE0, JournalInode);                    // s_journal_inum
            sb[0xFD] = 1;                                   // s_jnl_backup_type: s_jnl_blocks holds a copy of the journal inode's i_block
            journal.Block.CopyTo(sb[0x10C..]);              // s_jnl_blocks[0..14]
            U32(sb, 0x10C + 15 * 4, (uint)(journal.Size >> 32)); // s_jnl_blocks[15]: i_size_high
            U32(sb, 0x10C + 16 * 4, (uint)journal.Size);    // s_jnl_blocks[16]: i_size
        }
    }

    /// <summary>Writes a 32-byte group descriptor (no 64bit); bg_checksum stays 0 for <see cref="Ext4Checksums"/> to stamp.</summary>
    public static void WriteGroupDescriptor(Span<byte> d, in Ext4GroupDescriptor g)
    {
        d[..GroupDescriptorSize].Clear();
        U32(d, 0x00, (uint)g.BlockBitmap);                  // bg_block_bitmap_lo
        U32(d, 0x04, (uint)g.InodeBitmap);                  // bg_inode_bitmap_lo
        U32(d, 0x08, (uint)g.InodeTable);                   // bg_inode_table_lo
        U16(d, 0x0C, (ushort)g.FreeBlocks);                 // bg_free_blocks_count_lo
        U16(d, 0x0E, (ushort)g.FreeInodes);                 // bg_free_inodes_count_lo
        U16(d, 0x10, (ushort)g.UsedDirectories);            // bg_used_dirs_count_lo
        U16(d, 0x12, g.Flags);                              // bg_flags
        U16(d, 0x18, g.BlockBitmapChecksum);                // bg_block_bitmap_csum_lo
        U16(d, 0x1A, g.InodeBitmapChecksum);                // bg_inode_bitmap_csum_lo
    }

    /// <summary>Writes a 256-byte inode. All four times (a, c, m, cr) are the entry's mtime.</summary>
    public static void WriteInode(Span<byte> i, Ext4Inode n)
    {
        i[..InodeSize].Clear();
        var (lo, extra) = EncodeTime(n.Seconds, n.Nanoseconds);
        var sectors = (ulong)(n.BlocksUsed + (n.XattrBlock != 0 ? 1 : 0)) * (BlockSize / 512);  // i_blocks counts 512-byte sectors without huge_file
        var links = n.IsDirectory && n.Links >= DirLinkMax ? 1 : n.Links;
        U16(i, 0x00, n.Mode);                               // i_mode
        U16(i, 0x02, (ushort)n.Uid);                        // i_uid (low 16 bits)
        U32(i, 0x04, (uint)n.Size);                         // i_size_lo
        U32(i, 0x08, lo);                                   // i_atime
        U32(i, 0x0C, lo);                                   // i_ctime
        U32(i, 0x10, lo);                                   // i_mtime
        U16(i, 0x18, (ushort)n.Gid);                        // i_gid (low 16 bits)
        U16(i, 0x1A, (ushort)links);                        // i_links_count
        U32(i, 0x1C, (uint)sectors);                        // i_blocks_lo
        U32(i, 0x20, n.Flags);                              // i_flags
        n.Block.CopyTo(i[0x28..]);                          // i_block[15]
        U32(i, 0x68, (uint)n.XattrBlock);                   // i_file_acl_lo: the xattr block
        U32(i, 0x6C, (uint)(n.Size >> 32));                 // i_size_high
        U16(i, 0x76, (ushort)(n.XattrBlock >> 32));         // l_i_file_acl_high
        U16(i, 0x78, (ushort)(n.Uid >> 16));                // l_i_uid_high
        U16(i, 0x7A, (ushort)(n.Gid >> 16));                // l_i_gid_high
        U16(i, 0x80, ExtraInodeSize);                       // i_extra_isize
        U32(i, 0x84, extra);                                // i_ctime_extra
        U32(i, 0x88, extra);                                // i_mtime_extra
        U32(i, 0x8C, extra);                                // i_atime_extra
        U32(i, 0x90, lo);                                   // i_crtime
        U32(i, 0x94, extra);                                // i_crtime_extra
        n.InBodyXattrs?.CopyTo(i[(128 + ExtraInodeSize)..]); // in-inode xattrs: magic, entries, values up to the inode end
    }

    /// <summary>Earliest and latest second representable with the extra epoch bits: [−2^31, 2^31 + 3·2^32).</summary>
    public const long MinSeconds = int.MinValue;
    public const long MaxSeconds = int.MaxValue + 3L * (1L << 32);

    /// <summary>
    /// A time as (32-bit seconds, extra): seconds = (s32)lo + (extra &amp; 3) · 2^32; extra's upper 30 bits are nanoseconds.
    /// </summary>
    public static (uint Lo, uint Extra) EncodeTime(long seconds, uint nanoseconds)
    {
        var lo = unchecked((int)seconds);
        var epoch = (seconds - lo) >> 32;
        return (unchecked((uint)lo), (nanoseconds << 2) | (uint)(epoch & 3));
    }

    /// <summary>
    /// A device number in i_block: the old 16-bit form in i_block[0] when major and minor fit in a byte,
    /// else the new form in i_block[1]: (minor &amp; 0xff) | (major &lt;&lt; 8) | ((minor &amp; ~0xff) &lt;&lt; 12).
    /// </summary>
    public static void WriteDeviceNumber(Span<byte> block, uint major, uint minor)
    {
        block.Clear();
        if (major < 256 && minor < 256)
            U32(block, 0, (major << 8) | minor);
        else
            U32(block, 4, (minor & 0xFF) | (major << 8) | ((minor & ~0xFFu) << 12));
    }

    /// <summary>ext4_extent_header: magic, entries, max, depth, generation.</summary>
    public static void WriteExtentHeader(Span<byte> node, int entries, int max, int depth)
    {
        U16(node, 0, ExtentMagic);                          // eh_magic
        U16(node, 2, (ushort)entries);                      // eh_entries
        U16(node, 4, (ushort)max);                          // eh_max
        U16(node, 6, (ushort)depth);                        // eh_depth: 0 means the entries are leaf extents
        U32(node, 8, 0);                                    // eh_generation
    }

    /// <summary>ext4_extent: ee_block (logical), ee_len, ee_start_hi, ee_start_lo.</summary>
    public static void WriteExtent(Span<byte> entry, in Ext4Extent e)
    {
        U32(entry, 0, e.Logical);
        U16(entry, 4, (ushort)e.Length);
        U16(entry, 6, (ushort)(e.Physical >> 32));
        U32(entry, 8, (uint)e.Physical);
    }

    /// <summary>ext4_extent_idx: ei_block (first logical block covered), ei_leaf_lo, ei_leaf_hi, unused.</summary>
    public static void WriteExtentIndex(Span<byte> entry, uint firstLogical, long leafBlock)
    {
        U32(entry, 0, firstLogical);
        U32(entry, 4, (uint)leafBlock);
        U16(entry, 8, (ushort)(leafBlock >> 32));
        U16(entry, 10, 0);
    }

    /// <summary>Bytes an ext4_dir_entry_2 with a name of <paramref name="nameLength"/> bytes needs: 8 + name, rounded up to 4.</summary>
    public static int DirEntrySize(int nameLength) => (DirEntryHeaderSize + nameLength + 3) & ~3;

    /// <summary>Writes an ext4_dir_entry_2; <paramref name="recordLength"/> may exceed its size (the slack up to the next entry or the block end).</summary>
    public static void WriteDirEntry(Span<byte> at, uint inode, int recordLength, ReadOnlySpan<byte> name, byte fileType)
    {
        U32(at, 0, inode);                                  // inode (0 marks an unused record)
        U16(at, 4, (ushort)recordLength);                   // rec_len
        at[6] = (byte)name.Length;                          // name_len
        at[7] = fileType;                                   // file_type
        name.CopyTo(at[8..]);
    }

    /// <summary>Rewrites the rec_len of the entry at <paramref name="at"/>.</summary>
    public static void SetDirEntryRecordLength(Span<byte> at, int recordLength) => U16(at, 4, (ushort)recordLength);

    /// <summary>
    /// Linear directory blocks: ".", "..", then the children in order. An entry never straddles a block; the
    /// last entry of each block stretches to the block end (or to the <paramref name="tailBytes"/> reserved for a
    /// checksum tail). Pads with empty blocks (inode 0 covering the block) up to <paramref name="minimumBlocks"/>.
    /// </summary>
    public static byte[] BuildDirectoryBlocks(uint self, uint parent, IReadOnlyList<Ext4DirectoryChild> children, int minimumBlocks, int tailBytes)
    {
        var capacity = BlockSize - tailBytes;
        var size = DirEntrySize(1) + DirEntrySize(2);
        var blocks = 1;
        foreach (var child in children)
        {
            var entry = DirEntrySize(child.Name.Length);
            if (size + entry > capacity) { blocks++; size = 0; }
            size += entry;
        }

        blocks = Math.Max(blocks, minimumBlocks);
        var bytes = new byte[blocks * BlockSize];
        var offset = 0;
        var last = -1;
        void Add(ReadOnlySpan<byte> name, uint inode, byte type)
        {
            var entry = DirEntrySize(name.Length);
            if (offset % BlockSize + entry > capacity)
            {
                SetDirEntryRecordLength(bytes.AsSpan(last), capacity - last % BlockSize);
                offset = (offset / BlockSize + 1) * BlockSize;
            }

            WriteDirEntry(bytes.AsSpan(offset), inode, entry, name, type);
            last = offset;
            offset += entry;
        }

        Add("."u8, self, FileTypeDirectory);
        Add(".."u8, parent, FileTypeDirectory);
        foreach (var child in children) Add(child.Name, child.Inode, child.FileType);
        SetDirEntryRecordLength(bytes.AsSpan(last), capacity - last % BlockSize);
        for (var b = last / BlockSize + 1; b < blocks; b++)
            WriteDirEntry(bytes.AsSpan(b * BlockSize), 0, capacity, default, 0);
        return bytes;
    }

    private static void U16(Span<byte> s, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(s[offset..], value);

    private static void U32(Span<byte> s, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(s[offset..], value);
}
