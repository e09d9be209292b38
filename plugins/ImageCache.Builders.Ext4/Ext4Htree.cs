using System.Buffers.Binary;
using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// Hashed b-tree directories (dir_index; Linux Documentation/filesystems/ext4 "Hash Tree Directories"). Pure.
/// Logical block 0 is the dx_root: a "." entry (rec_len 12) and a ".." entry whose rec_len covers the rest of
/// the block, hiding from old readers the dx_root_info (reserved_zero u32, hash_version u8, info_length u8 = 8,
/// indirect_levels u8, unused_flags u8) and the index: limit u16, count u16, block u32 (the leaf for hashes below
/// the second entry's), then (hash u32, block u32) pairs. With one indirect level, the root points at dx_node
/// blocks (a fake empty entry with rec_len 4096, then the same limit/count/entries). Leaves are ordinary
/// directory blocks whose names are sorted by hash; an index hash with bit 0 set says the previous leaf's last
/// hash continues in this leaf.
/// </summary>
internal static class Ext4Htree
{
    /// <summary>Where the root's index starts: "." (12) + ".." header (12) + dx_root_info (8).</summary>
    public const int RootIndexOffset = 0x20;

    /// <summary>Where a node's index starts: the fake empty entry's 8-byte header.</summary>
    public const int NodeIndexOffset = 8;

    private const int IndexEntrySize = 8;

    /// <summary>The directory's blocks (root, index nodes, leaves), or null when the names fit one linear block.</summary>
    /// <param name="self">The directory's inode ("." ).</param>
    /// <param name="parent">The parent's inode ("..").</param>
    /// <param name="children">The names, in any order.</param>
    /// <param name="hashSeed">s_hash_seed.</param>
    /// <param name="checksums">Reserve room for metadata_csum tails: 12 bytes at the end of each leaf, 8 after each index.</param>
    /// <exception cref="InvalidOperationException">More names than two index levels reach (about 130 million).</exception>
    public static byte[]? TryBuild(uint self, uint parent, IReadOnlyList<Ext4DirectoryChild> children, ReadOnlySpan<byte> hashSeed, bool checksums)
    {
        var linear = Ext4Encoding.DirEntrySize(1) + Ext4Encoding.DirEntrySize(2);
        foreach (var child in children) linear += Ext4Encoding.DirEntrySize(child.Name.Length);
        var leafTail = checksums ? Ext4Checksums.DirentTailSize : 0;
        var indexTail = checksums ? Ext4Checksums.DxTailSize : 0;
        if (linear <= BlockSize - leafTail) return null;

        var sorted = new (uint Hash, int Index)[children.Count];
        for (var i = 0; i < children.Count; i++) sorted[i] = (Ext4DirectoryHash.Hash(children[i].Name, hashSeed), i);
        Array.Sort(sorted, (a, b) =>
        {
            var c = a.Hash.CompareTo(b.Hash);
            return c != 0 ? c : children[a.Index].Name.AsSpan().SequenceCompareTo(children[b.Index].Name);
        });

        // Leaves: fill each block in hash order; remember each leaf's first hash (with the continuation bit).
        var leafCapacity = BlockSize - leafTail;
        var leafStarts = new List<int> { 0 };
        var used = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            var size = Ext4Encoding.DirEntrySize(children[sorted[i].Index].Name.Length);
            if (used + size > leafCapacity)
            {
                leafStarts.Add(i);
                used = 0;
            }

            used += size;
        }

        var leaves = leafStarts.Count;
        var rootLimit = (BlockSize - RootIndexOffset - indexTail) / IndexEntrySize;
        var nodeLimit = (BlockSize - NodeIndexOffset - indexTail) / IndexEntrySize;
        var levels = leaves <= rootLimit ? 0 : 1;
        var nodes = levels == 0 ? 0 : (leaves + nodeLimit - 1) / nodeLimit;
        if (nodes > rootLimit)
            throw new InvalidOperationException($"a directory of {children.Count} names needs more than two htree levels");

        var firstLeaf = 1 + nodes;
        var bytes = new byte[(firstLeaf + leaves) * BlockSize];
        var leafHashes = new uint[leaves];
        for (var leaf = 0; leaf < leaves; leaf++)
        {
            var from = leafStarts[leaf];
            var to = leaf + 1 < leaves ? leafStarts[leaf + 1] : sorted.Length;
            var hash = sorted[from].Hash;
            if (leaf > 0 && sorted[from - 1].Hash == hash) hash |= 1; // a collision run continues from the previous leaf
            leafHashes[leaf] = hash;
            WriteLeaf(bytes.AsSpan((firstLeaf + leaf) * BlockSize, BlockSize), children, sorted.AsSpan(from, to - from), leafCapacity);
        }

        // Root block: ".", "..", dx_root_info, then the index.
        var root = bytes.AsSpan(0, BlockSize);
        Ext4Encoding.WriteDirEntry(root, self, 12, "."u8, FileTypeDirectory);
        Ext4Encoding.WriteDirEntry(root[12..], parent, BlockSize - 12, ".."u8, FileTypeDirectory);
        root[0x1C] = Ext4DirectoryHash.HalfMd4;                 // hash_version
        root[0x1D] = 8;                                         // info_length
        root[0x1E] = (byte)levels;                              // indirect_levels
        if (levels == 0)
        {
            WriteIndex(root[RootIndexOffset..], rootLimit, leafHashes, firstBlock: (uint)firstLeaf);
            return bytes;
        }

        var nodeHashes = new uint[nodes];
        for (var node = 0; node < nodes; node++)
        {
            var first = node * nodeLimit;
            var count = Math.Min(nodeLimit, leaves - first);
            nodeHashes[node] = leafHashes[first];
            var block = bytes.AsSpan((1 + node) * BlockSize, BlockSize);
            Ext4Encoding.WriteDirEntry(block, 0, BlockSize, default, 0); // fake entry: inode 0 covering the block
            WriteIndex(block[NodeIndexOffset..], nodeLimit, leafHashes.AsSpan(first, count), firstBlock: (uint)(firstLeaf + first));
        }

        WriteIndex(root[RootIndexOffset..], rootLimit, nodeHashes, firstBlock: 1);
        return bytes;
    }

    /// <summary>
    /// limit, count, then the blocks from <paramref name="firstBlock"/> on with their hashes; the first entry's
    /// hash field holds limit and count instead (its lower bound is implied by the parent).
    /// </summary>
    private static void WriteIndex(Span<byte> at, int limit, ReadOnlySpan<uint> hashes, uint firstBlock)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)limit);
        BinaryPrimitives.WriteUInt16LittleEndian(at[2..], (ushort)hashes.Length);
        for (var i = 0; i < hashes.Length; i++)
        {
            var entry = at[(i * IndexEntrySize)..];
            if (i > 0) BinaryPrimitives.WriteUInt32LittleEndian(entry, hashes[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], firstBlock + (uint)i);
        }
    }

    private static void WriteLeaf(Span<byte> block, IReadOnlyList<Ext4DirectoryChild> children, ReadOnlySpan<(uint Hash, int Index)> names, int capacity)
    {
        var offset = 0;
        var last = 0;
        foreach (var (_, index) in names)
        {
            var child = children[index];
            var size = Ext4Encoding.DirEntrySize(child.Name.Length);
            Ext4Encoding.WriteDirEntry(block[offset..], child.Inode, size, child.Name, child.FileType);
            last = offset;
            offset += size;
        }

        Ext4Encoding.SetDirEntryRecordLength(block[last..], capacity - last);
    }
}
