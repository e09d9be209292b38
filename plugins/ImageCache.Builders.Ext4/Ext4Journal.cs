using System.Buffers.Binary;
using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// The internal journal (inode 8): a jbd2 log whose first block is the journal superblock and whose other
/// blocks are free log space (zeros, so holes of the sparse output). Unlike the rest of ext4, jbd2 fields are
/// big-endian (Linux Documentation/filesystems/ext4 "Journal (jbd2)"). A journal with s_start = 0 is empty:
/// nothing to replay, so the kernel and e2fsck never read past the superblock. Pure.
/// </summary>
internal static class Ext4Journal
{
    public const uint Magic = 0xC03B3998;

    /// <summary>h_blocktype of a version 2 journal superblock.</summary>
    public const uint SuperblockV2 = 4;

    /// <summary>
    /// The journal length mke2fs picks for a file system of <paramref name="fsBlocks"/> 4 KiB blocks
    /// (e2fsprogs ext2fs_default_journal_size): 4 MiB under 128 MiB, 16 MiB under 1 GiB, 32 MiB under 2 GiB,
    /// 64 MiB under 16 GiB, 128 MiB under 32 GiB, 256 MiB under 64 GiB, 512 MiB under 128 GiB, else 1 GiB.
    /// Zero below 2048 blocks, where mke2fs makes no journal.
    /// </summary>
    public static int DefaultBlocks(long fsBlocks) => fsBlocks switch
    {
        < 2048 => 0,
        < 32768 => 1024,
        < 256 * 1024 => 4096,
        < 512 * 1024 => 8192,
        < 4096 * 1024 => 16384,
        < 8192 * 1024 => 32768,
        < 16384 * 1024 => 65536,
        < 32768 * 1024 => 131072,
        _ => 262144,
    };

    /// <summary>journal_superblock_t for an empty internal journal of <paramref name="blocks"/> blocks, as mke2fs writes it.</summary>
    public static byte[] BuildSuperblock(int blocks, ReadOnlySpan<byte> uuid)
    {
        var block = new byte[BlockSize];
        var s = block.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(s[0x00..], Magic);        // h_magic
        BinaryPrimitives.WriteUInt32BigEndian(s[0x04..], SuperblockV2); // h_blocktype
        BinaryPrimitives.WriteUInt32BigEndian(s[0x08..], 0);            // h_sequence
        BinaryPrimitives.WriteUInt32BigEndian(s[0x0C..], BlockSize);    // s_blocksize
        BinaryPrimitives.WriteUInt32BigEndian(s[0x10..], (uint)blocks); // s_maxlen: blocks in the journal
        BinaryPrimitives.WriteUInt32BigEndian(s[0x14..], 1);            // s_first: the first log block (after this one)
        BinaryPrimitives.WriteUInt32BigEndian(s[0x18..], 1);            // s_sequence: the first transaction expected
        BinaryPrimitives.WriteUInt32BigEndian(s[0x1C..], 0);            // s_start: 0, the log is empty (clean)
        uuid[..16].CopyTo(s[0x30..]);                                   // s_uuid: the file system's
        BinaryPrimitives.WriteUInt32BigEndian(s[0x40..], 1);            // s_nr_users: one file system (this one)
        return block;                                                   // no jbd2 features: mke2fs sets none either
    }
}
