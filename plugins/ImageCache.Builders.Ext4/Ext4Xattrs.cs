using System.Buffers.Binary;
using System.Text;
using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>One extended attribute as stored: a name index, the name without its prefix, the value bytes.</summary>
internal readonly record struct Ext4XattrEntry(byte Index, byte[] Name, byte[] Value);

/// <summary>
/// Extended attributes on disk (Linux fs/ext4/xattr.h, Documentation/filesystems/ext4 "Extended Attributes"). Pure.
/// Two places: the inode's space after i_extra_isize (a 4-byte magic 0xEA020000, then entries; value offsets count
/// from the first entry) or one xattr block (a 32-byte header: magic, h_refcount, h_blocks = 1, h_hash; then
/// entries; value offsets count from the block start). An entry is e_name_len (1), e_name_index (1),
/// e_value_offs (2), e_value_inum (4, 0: the value is in the same place), e_value_size (4), e_hash (4), the name,
/// padded to 4 bytes; four zero bytes end the list. Values sit at the end of the space, each padded to 4 bytes.
/// </summary>
internal static class Ext4Xattrs
{
    public const uint Magic = 0xEA020000;
    public const int BlockHeaderSize = 32;
    public const int EntryHeaderSize = 16;

    /// <summary>Bytes past i_extra_isize in a 256-byte inode: 256 − 128 − 32 = 96, the magic included.</summary>
    public const int InBodySize = InodeSize - 128 - ExtraInodeSize;

    /// <summary>At most this many inodes share one block (EXT4_XATTR_REFCOUNT_MAX).</summary>
    public const int RefcountMax = 1024;

    // Name indexes (EXT4_XATTR_INDEX_*).
    public const byte IndexUser = 1, IndexPosixAclAccess = 2, IndexPosixAclDefault = 3, IndexTrusted = 4, IndexSecurity = 6;

    private const int NameHashShift = 5, ValueHashShift = 16, BlockHashShift = 16;

    /// <summary>Space an entry header and its name take: 16 + name, rounded up to 4 (EXT4_XATTR_LEN).</summary>
    public static int EntrySize(int nameLength) => (EntryHeaderSize + nameLength + 3) & ~3;

    /// <summary>A value's space: its size rounded up to 4 (EXT4_XATTR_SIZE).</summary>
    public static int ValueSize(int valueLength) => (valueLength + 3) & ~3;

    /// <summary>
    /// Maps full names to (index, suffix) and sorts as the kernel keeps a block: by index, then name length, then
    /// name bytes. POSIX ACL values are converted from the xattr form (version 2) to ext4's disk form (version 1).
    /// </summary>
    /// <exception cref="ArgumentException">A name or value that cannot be stored; the message says why.</exception>
    public static List<Ext4XattrEntry> Prepare(IReadOnlyDictionary<string, byte[]> xattrs)
    {
        var list = new List<Ext4XattrEntry>(xattrs.Count);
        foreach (var (fullName, value) in xattrs)
        {
            var (index, suffix) = MapName(fullName);
            var name = Encoding.UTF8.GetBytes(suffix);
            if (name.Length > 255) throw new ArgumentException($"the extended attribute name '{fullName}' is longer than 255 bytes after its prefix");
            if (name.AsSpan().Contains((byte)0)) throw new ArgumentException($"the extended attribute name '{fullName}' contains NUL");
            var stored = index is IndexPosixAclAccess or IndexPosixAclDefault ? PosixAclToDisk(fullName, value ?? []) : value ?? [];
            list.Add(new Ext4XattrEntry(index, name, stored));
        }

        list.Sort(static (a, b) =>
        {
            var c = a.Index.CompareTo(b.Index);
            if (c == 0) c = a.Name.Length.CompareTo(b.Name.Length);
            return c != 0 ? c : a.Name.AsSpan().SequenceCompareTo(b.Name);
        });
        return list;
    }

    private static (byte Index, string Suffix) MapName(string name)
    {
        if (name == "system.posix_acl_access") return (IndexPosixAclAccess, "");
        if (name == "system.posix_acl_default") return (IndexPosixAclDefault, "");
        foreach (var (prefix, index) in new[] { ("user.", IndexUser), ("trusted.", IndexTrusted), ("security.", IndexSecurity) })
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (name.Length == prefix.Length) throw new ArgumentException($"the extended attribute name '{name}' is empty after its prefix");
            return (index, name[prefix.Length..]);
        }

        throw new ArgumentException(
            $"the extended attribute '{name}' is in a namespace this ext4 writer does not store (user.*, trusted.*, security.*, system.posix_acl_access, system.posix_acl_default)");
    }

    /// <summary>
    /// posix_acl_xattr (le32 version 2, then 8-byte entries: le16 tag, le16 perm, le32 id) to ext4_acl (le32 version 1,
    /// then 4-byte entries for USER_OBJ, GROUP_OBJ, MASK, OTHER and 8-byte entries with the id for USER and GROUP).
    /// </summary>
    private static byte[] PosixAclToDisk(string name, byte[] value)
    {
        if (value.Length < 4 || (value.Length - 4) % 8 != 0 || BinaryPrimitives.ReadUInt32LittleEndian(value) != 2)
            throw new ArgumentException($"the value of '{name}' is not a POSIX ACL (version 2, 8-byte entries)");
        var output = new List<byte>(value.Length);
        void Add16(ushort v) { output.Add((byte)v); output.Add((byte)(v >> 8)); }
        Add16(1); Add16(0); // a_version = EXT4_ACL_VERSION
        for (var at = 4; at < value.Length; at += 8)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(value.AsSpan(at));
            var perm = BinaryPrimitives.ReadUInt16LittleEndian(value.AsSpan(at + 2));
            var id = BinaryPrimitives.ReadUInt32LittleEndian(value.AsSpan(at + 4));
            Add16(tag);
            Add16(perm);
            switch (tag)
            {
                case 0x01 or 0x04 or 0x10 or 0x20: break; // ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER: short entries
                case 0x02 or 0x08: Add16((ushort)id); Add16((ushort)(id >> 16)); break; // ACL_USER, ACL_GROUP
                default: throw new ArgumentException($"the value of '{name}' has an unknown ACL tag 0x{tag:x}");
            }
        }

        return [.. output];
    }

    /// <summary>Bytes the entries, the end marker and the values need (without any header).</summary>
    public static int Needed(IReadOnlyList<Ext4XattrEntry> entries)
    {
        var total = 4; // the four zero bytes after the last entry
        foreach (var e in entries) total += EntrySize(e.Name.Length) + ValueSize(e.Value.Length);
        return total;
    }

    /// <summary>The in-inode area (<see cref="InBodySize"/> bytes, starting with the magic), or null if the entries do not fit.</summary>
    public static byte[]? TryBuildInBody(IReadOnlyList<Ext4XattrEntry> entries)
    {
        if (Needed(entries) > InBodySize - 4) return null;
        var area = new byte[InBodySize];
        BinaryPrimitives.WriteUInt32LittleEndian(area, Magic);
        Place(area.AsSpan(4), entries); // offsets count from the first entry, right after the magic
        return area;
    }

    /// <summary>An xattr block with h_refcount 1 (the caller sets the final count), or null if the entries do not fit.</summary>
    public static byte[]? TryBuildBlock(IReadOnlyList<Ext4XattrEntry> entries)
    {
        if (Needed(entries) > BlockSize - BlockHeaderSize) return null;
        var block = new byte[BlockSize];
        var s = block.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, Magic);         // h_magic
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], 1);        // h_refcount
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], 1);        // h_blocks
        var hashes = PlaceFrom(s, BlockHeaderSize, entries);        // offsets count from the block start
        uint hash = 0;
        foreach (var h in hashes)
        {
            if (h == 0) { hash = 0; break; }
            hash = (hash << BlockHashShift) ^ (hash >> (32 - BlockHashShift)) ^ h;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], hash);    // h_hash; h_checksum and h_reserved stay 0
        return block;
    }

    public static void SetRefcount(byte[] block, int refcount) => BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), (uint)refcount);

    private static void Place(Span<byte> space, IReadOnlyList<Ext4XattrEntry> entries) => PlaceFrom(space, 0, entries);

    /// <summary>Entries from <paramref name="first"/> upwards, values from the end of <paramref name="space"/> downwards.</summary>
    private static List<uint> PlaceFrom(Span<byte> space, int first, IReadOnlyList<Ext4XattrEntry> entries)
    {
        var hashes = new List<uint>(entries.Count);
        var at = first;
        var valueEnd = space.Length;
        foreach (var e in entries)
        {
            var offset = 0;
            if (e.Value.Length > 0)
            {
                valueEnd -= ValueSize(e.Value.Length);
                offset = valueEnd;
                e.Value.CopyTo(space[offset..]); // padding stays zero
            }

            var hash = EntryHash(e.Name, space.Slice(offset, ValueSize(e.Value.Length)));
            space[at] = (byte)e.Name.Length;                                            // e_name_len
            space[at + 1] = e.Index;                                                     // e_name_index
            BinaryPrimitives.WriteUInt16LittleEndian(space[(at + 2)..], (ushort)offset); // e_value_offs
            BinaryPrimitives.WriteUInt32LittleEndian(space[(at + 4)..], 0);              // e_value_inum
            BinaryPrimitives.WriteUInt32LittleEndian(space[(at + 8)..], (uint)e.Value.Length); // e_value_size
            BinaryPrimitives.WriteUInt32LittleEndian(space[(at + 12)..], hash);          // e_hash
            e.Name.CopyTo(space[(at + EntryHeaderSize)..]);
            hashes.Add(hash);
            at += EntrySize(e.Name.Length);
        }

        return hashes;
    }

    /// <summary>
    /// e_hash: over the name bytes, hash = (hash &lt;&lt; 5) ^ (hash &gt;&gt; 27) ^ byte; then over the value as
    /// little-endian 32-bit words (zero-padded to 4 bytes), hash = (hash &lt;&lt; 16) ^ (hash &gt;&gt; 16) ^ word.
    /// Name bytes are taken unsigned (e2fsprogs' and current kernels' form; they differ from old kernels only for bytes ≥ 0x80).
    /// </summary>
    public static uint EntryHash(ReadOnlySpan<byte> name, ReadOnlySpan<byte> paddedValue)
    {
        uint hash = 0;
        foreach (var b in name) hash = (hash << NameHashShift) ^ (hash >> (32 - NameHashShift)) ^ b;
        for (var i = 0; i + 4 <= paddedValue.Length; i += 4)
            hash = (hash << ValueHashShift) ^ (hash >> (32 - ValueHashShift)) ^ BinaryPrimitives.ReadUInt32LittleEndian(paddedValue[i..]);
        return hash;
    }
}
