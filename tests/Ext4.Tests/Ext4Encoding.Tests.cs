using System.Buffers.Binary;
using ImageCache.Builders.Ext4;

namespace ImageCache.Ext4.Tests;

public sealed class Ext4EncodingTests
{
    [Theory]
    [InlineData(0L, 0u, 0u, 0u)]
    [InlineData(-1L, 0u, 0xFFFFFFFFu, 0u)]                    // 1969: epoch bits 0, negative 32-bit seconds
    [InlineData(0x80000000L, 5u, 0x80000000u, (5u << 2) | 1)] // 2038 + 0s: epoch 1
    public void EncodeTime_splits_seconds_into_32_bits_and_epoch_bits(long seconds, uint nanos, uint lo, uint extra) =>
        Assert.Equal((lo, extra), Ext4Encoding.EncodeTime(seconds, nanos));

    [Fact]
    public void BuildDirectoryBlocks_never_straddles_a_block_and_fills_each_block()
    {
        var children = Enumerable.Range(0, 300).Select(i => new Ext4DirectoryChild(new byte[40], (uint)(12 + i), 1)).ToList();
        var bytes = Ext4Encoding.BuildDirectoryBlocks(12, 2, children, 1, tailBytes: 0);
        Assert.Equal(0, bytes.Length % 4096);
        var count = 0;
        for (var block = 0; block < bytes.Length; block += 4096)
        {
            var offset = 0;
            while (offset < 4096)
            {
                var recordLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(block + offset + 4));
                Assert.True(recordLength >= 12 && offset + recordLength <= 4096);
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(block + offset)) != 0) count++;
                offset += recordLength;
            }

            Assert.Equal(4096, offset);
        }

        Assert.Equal(302, count);
    }

    [Theory]
    [InlineData(1, 3, 0, 0x0103u)]
    [InlineData(300, 70000, 4, (70000u & 0xFF) | (300u << 8) | ((70000u & ~0xFFu) << 12))]
    public void WriteDeviceNumber_uses_the_old_form_when_it_fits(int major, int minor, int offset, uint value)
    {
        var block = new byte[60];
        Ext4Encoding.WriteDeviceNumber(block, (uint)major, (uint)minor);
        Assert.Equal(value, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(offset)));
    }

    /// <summary>Hashes checked against an independent implementation of the documented algorithm (and e2fsck for e_hash).</summary>
    [Fact]
    public void Xattr_block_has_sorted_entries_entry_hashes_and_the_block_hash()
    {
        var entries = Ext4Xattrs.Prepare(XattrImage.Large);
        Assert.Equal(["large.one", "large.two", "big", "capability"], entries.Select(e => System.Text.Encoding.ASCII.GetString(e.Name)));
        Assert.Equal(0xaa4182aau, Ext4Xattrs.EntryHash("capability"u8, XattrImage.Capability));
        var block = Ext4Xattrs.TryBuildBlock(entries)!;
        Assert.Equal(0xEA020000u, BinaryPrimitives.ReadUInt32LittleEndian(block));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(8)));          // h_blocks
        Assert.Equal(0xeb155cdeu, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(12))); // h_hash
        Assert.Null(Ext4Xattrs.TryBuildInBody(entries));
    }

    [Fact]
    public void In_inode_area_holds_up_to_92_bytes_after_its_magic()
    {
        // 16 + 4 (name "abcd") + value 68 + end marker 4 = 92: fits; one more value byte (padded to 72) does not.
        Assert.NotNull(Ext4Xattrs.TryBuildInBody(Ext4Xattrs.Prepare(new Dictionary<string, byte[]> { ["user.abcd"] = new byte[68] })));
        Assert.Null(Ext4Xattrs.TryBuildInBody(Ext4Xattrs.Prepare(new Dictionary<string, byte[]> { ["user.abcd"] = new byte[69] })));
    }
}
