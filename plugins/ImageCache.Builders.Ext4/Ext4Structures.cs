namespace ImageCache.Builders.Ext4;

/// <summary>One extent: <see cref="Length"/> blocks of file data from logical block <see cref="Logical"/> at physical block <see cref="Physical"/>.</summary>
internal readonly record struct Ext4Extent(uint Logical, int Length, long Physical);

/// <summary>The superblock fields this writer sets; everything else is zero.</summary>
internal sealed record Ext4SuperblockFields(
    Ext4Geometry Geometry,
    long FreeBlocks,
    long FreeInodes,
    uint Timestamp,
    byte[] Uuid,
    byte[] HashSeed,
    uint FeatureCompat,
    uint FeatureIncompat,
    uint FeatureRoCompat,
    Ext4Inode? Journal);

/// <summary>One group descriptor.</summary>
internal readonly record struct Ext4GroupDescriptor(
    long BlockBitmap, long InodeBitmap, long InodeTable, int FreeBlocks, int FreeInodes, int UsedDirectories,
    ushort Flags, ushort BlockBitmapChecksum, ushort InodeBitmapChecksum);

/// <summary>An inode as held in memory until the inode tables are written.</summary>
internal sealed class Ext4Inode
{
    public ushort Mode;
    public uint Uid;
    public uint Gid;
    public ulong Size;
    public long Seconds;
    public uint Nanoseconds;
    public int Links = 1;
    public uint Flags;
    public readonly byte[] Block = new byte[Ext4Constants.InodeBlockBytes];

    /// <summary>File system blocks held (data plus extent tree blocks); an xattr block is counted apart.</summary>
    public long BlocksUsed;

    /// <summary>The in-inode xattr area (96 bytes after i_extra_isize, magic first), or null.</summary>
    public byte[]? InBodyXattrs;

    /// <summary>i_file_acl: the xattr block, or 0. It adds one block to i_blocks.</summary>
    public long XattrBlock;

    /// <summary>The encoded xattr set (to check that a hard link names the same set), or null when there are none.</summary>
    public string? XattrKey;

    // Directories only.
    public uint Parent;
    public int Subdirectories;
    public List<Ext4DirectoryChild>? Children;

    public bool IsDirectory => (Mode & 0xF000) == Ext4Constants.ModeDirectory;

    public byte FileType => (Mode & 0xF000) switch
    {
        Ext4Constants.ModeRegular => Ext4Constants.FileTypeRegular,
        Ext4Constants.ModeDirectory => Ext4Constants.FileTypeDirectory,
        Ext4Constants.ModeSymlink => Ext4Constants.FileTypeSymlink,
        Ext4Constants.ModeCharDevice => Ext4Constants.FileTypeCharDevice,
        Ext4Constants.ModeBlockDevice => Ext4Constants.FileTypeBlockDevice,
        Ext4Constants.ModeFifo => Ext4Constants.FileTypeFifo,
        _ => 0,
    };
}

/// <summary>A name in a directory.</summary>
internal readonly record struct Ext4DirectoryChild(byte[] Name, uint Inode, byte FileType);
