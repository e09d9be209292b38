using System.Buffers.Binary;
using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// metadata_csum (Linux Documentation/filesystems/ext4 "Checksums"): CRC-32C of each metadata structure, seeded
/// with crc32c(~0, s_uuid), and for per-inode structures further with the inode number and generation. Each method
/// stamps the checksum into bytes already encoded with the checksum field zero. Pure.
/// </summary>
internal sealed class Ext4Checksums(byte[] uuid)
{
    /// <summary>The file system seed: crc32c(~0, s_uuid).</summary>
    public uint FsSeed { get; } = Ext4Crc32c.Update(~0u, uuid.AsSpan(0, 16));

    /// <summary>i_generation of every inode this writer makes.</summary>
    private const uint Generation = 0;

    /// <summary>Bytes of the dirent tail at the end of each leaf block, and of the dx_tail after each index.</summary>
    public const int DirentTailSize = 12;
    public const int DxTailSize = 8;

    /// <summary>file_type of the dirent tail's fake entry.</summary>
    private const byte DirentTailType = 0xDE;

    public uint InodeSeed(uint inode) => Ext4Crc32c.Update(Ext4Crc32c.Update(FsSeed, inode), Generation);

    /// <summary>s_checksum_type = 1 (crc32c); s_checksum = crc32c(~0, the superblock up to s_checksum).</summary>
    public static void StampSuperblock(Span<byte> sb)
    {
        sb[0x175] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(sb[0x3FC..], Ext4Crc32c.Update(~0u, sb[..0x3FC]));
    }

    /// <summary>bg_checksum: the low 16 bits of crc32c(seed, group number, the descriptor with bg_checksum zero).</summary>
    public void StampGroupDescriptor(Span<byte> descriptor, uint group)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[0x1E..], 0);
        var crc = Ext4Crc32c.Update(Ext4Crc32c.Update(FsSeed, group), descriptor[..GroupDescriptorSize]);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[0x1E..], (ushort)crc);
    }

    /// <summary>A bitmap's checksum (the descriptor holds its low 16 bits without 64bit).</summary>
    public ushort Bitmap(ReadOnlySpan<byte> bitmap) => (ushort)Ext4Crc32c.Update(FsSeed, bitmap);

    /// <summary>i_checksum_lo (0x7C) and i_checksum_hi (0x82): crc32c(inode seed, the whole inode with both zero).</summary>
    public void StampInode(Span<byte> inode, uint number)
    {
        var crc = Ext4Crc32c.Update(InodeSeed(number), inode[..InodeSize]);
        BinaryPrimitives.WriteUInt16LittleEndian(inode[0x7C..], (ushort)crc);
        BinaryPrimitives.WriteUInt16LittleEndian(inode[0x82..], (ushort)(crc >> 16));
    }

    /// <summary>The ext4_extent_tail after eh_max entries: crc32c(inode seed, the block up to the tail).</summary>
    public void StampExtentBlock(Span<byte> block, uint inode)
    {
        var max = BinaryPrimitives.ReadUInt16LittleEndian(block[4..]);
        var tail = ExtentHeaderSize + max * ExtentEntrySize;
        BinaryPrimitives.WriteUInt32LittleEndian(block[tail..], Ext4Crc32c.Update(InodeSeed(inode), block[..tail]));
    }

    /// <summary>
    /// Writes the dirent tail of a leaf block (a fake entry: inode 0, rec_len 12, name_len 0, file_type 0xDE, then
    /// crc32c(inode seed, the block before the tail)).
    /// </summary>
    public void StampLeaf(Span<byte> block, uint inode)
    {
        var tail = block[(BlockSize - DirentTailSize)..];
        tail.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(tail[4..], DirentTailSize);
        tail[7] = DirentTailType;
        BinaryPrimitives.WriteUInt32LittleEndian(tail[8..], Ext4Crc32c.Update(InodeSeed(inode), block[..(BlockSize - DirentTailSize)]));
    }

    /// <summary>
    /// The dx_tail (dt_reserved, dt_checksum) after the index's limit entries of a dx root or node whose
    /// limit/count start at <paramref name="countOffset"/>: crc32c(inode seed, the block up to the last used entry,
    /// then dt_reserved, then four zero bytes in place of dt_checksum).
    /// </summary>
    public void StampIndex(Span<byte> block, int countOffset, uint inode)
    {
        var limit = BinaryPrimitives.ReadUInt16LittleEndian(block[countOffset..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(block[(countOffset + 2)..]);
        var tail = block[(countOffset + limit * 8)..];
        tail[..DxTailSize].Clear();
        var crc = Ext4Crc32c.Update(InodeSeed(inode), block[..(countOffset + count * 8)]);
        crc = Ext4Crc32c.Update(crc, tail[..DxTailSize]); // dt_reserved and a zero checksum
        BinaryPrimitives.WriteUInt32LittleEndian(tail[4..], crc);
    }

    /// <summary>h_checksum (0x10): crc32c(seed, the block number as 64 bits, the block with h_checksum zero).</summary>
    public void StampXattrBlock(Span<byte> block, long blockNumber)
    {
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(number, blockNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x10..], 0);
        var crc = Ext4Crc32c.Update(Ext4Crc32c.Update(FsSeed, number), block[..BlockSize]);
        BinaryPrimitives.WriteUInt32LittleEndian(block[0x10..], crc);
    }
}
