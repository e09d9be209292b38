using System.Buffers;
using System.Text;
using ImageCache.Contracts;
using static ImageCache.Builders.Ext4.Ext4Constants;

namespace ImageCache.Builders.Ext4;

/// <summary>
/// Writes an ext4 image onto a seekable stream (normally a <see cref="FileStream"/> already sized to the image).
/// File data is written as entries arrive, allocated in order from the first free data block; inodes and
/// directories are kept in memory and written by <see cref="FinishAsync"/>, then the bitmaps, the group
/// descriptors and the superblocks. Zero blocks are never written: all-zero file blocks become holes and unused
/// metadata stays a hole of the sparse output.
/// </summary>
/// <remarks>
/// Features: extents (trees of any depth), filetype, sparse_super, large_file, dir_nlink, extra_isize, dir_index
/// (htree directories, half_md4, up to one indirect level, for every directory over one block), has_journal
/// (unless turned off: inode 8, mke2fs's size, log space left as holes), metadata_csum (unless turned off), and
/// ext_attr when any entry has xattrs (in the inode when they fit, else in one xattr block shared by identical
/// sets; a set over one block is refused). No flex_bg, no 64bit, no resize_inode, no huge_file.
/// </remarks>
internal sealed class Ext4Writer
{
    private readonly Stream _output;
    private readonly Ext4Geometry _geometry;
    private readonly byte[] _uuid;
    private readonly byte[] _hashSeed;
    private readonly bool _journal;
    private readonly Ext4Checksums? _checksums;
    private readonly List<Ext4Inode?> _inodes = [null]; // index = inode number; 0 unused
    private readonly Dictionary<string, uint> _paths = new(StringComparer.Ordinal);
    private int _cursorGroup;
    private long _cursorBlock;
    private bool _lostAndFoundTaken;
    private bool _anyXattrs;
    private readonly Dictionary<string, SharedXattrBlock> _xattrBlocks = new(StringComparer.Ordinal);
    private readonly List<SharedXattrBlock> _xattrBlockList = [];

    /// <param name="output">Seekable, writable, zero-filled (a new file set to its final length).</param>
    /// <param name="geometry">The layout, chosen before writing.</param>
    /// <param name="uuid">s_uuid (16 bytes).</param>
    /// <param name="hashSeed">s_hash_seed (16 bytes).</param>
    /// <param name="journal">Whether to write an internal journal (inode 8) of mke2fs's default size.</param>
    /// <param name="checksums">Whether to write metadata_csum checksums.</param>
    public Ext4Writer(Stream output, Ext4Geometry geometry, byte[] uuid, byte[] hashSeed, bool journal, bool checksums)
    {
        _journal = journal;
        _checksums = checksums ? new Ext4Checksums(uuid) : null;
        _output = output;
        _geometry = geometry;
        _uuid = uuid;
        _hashSeed = hashSeed;
        _cursorBlock = geometry.DataStart(0);
        for (uint n = 1; n < FirstNonReservedInode; n++) _inodes.Add(null);
        _inodes.Add(null); // 11: lost+found, filled at the latest by FinishAsync
        var root = new Ext4Inode { Mode = ModeDirectory | 0x1ED, Parent = RootInode, Children = [], Links = 2, Flags = InodeFlagExtents };
        _inodes[(int)RootInode] = root;
        _paths[""] = RootInode;
    }

    /// <summary>Adds one entry; its parent must already be there.</summary>
    /// <exception cref="FilesystemBuildException">The entry cannot be written (bad name, missing parent, out of space, unsupported size, xattrs that cannot be stored).</exception>
    public async Task AddAsync(FilesystemEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Path.Length == 0)
        {
            if (entry.Kind != FilesystemEntryKind.Directory) throw Fail(entry, "the root must be a directory");
            var rootInode = _inodes[(int)RootInode]!;
            SetMetadata(rootInode, entry, ModeDirectory);
            SetXattrs(rootInode, entry);
            return;
        }

        if (_paths.ContainsKey(entry.Path)) throw Fail(entry, "the path appears twice");
        var slash = entry.Path.LastIndexOf('/');
        var parentPath = slash < 0 ? "" : entry.Path[..slash];
        var name = Encoding.UTF8.GetBytes(entry.Path[(slash + 1)..]);
        if (name.Length is 0 or > MaxNameLength || name.AsSpan().Contains((byte)0) || name is [(byte)'.'] or [(byte)'.', (byte)'.'])
            throw Fail(entry, $"the name must be 1 to {MaxNameLength} bytes, not '.' or '..', without NUL");
        if (!_paths.TryGetValue(parentPath, out var parentNumber) || _inodes[(int)parentNumber] is not { IsDirectory: true } parent)
            throw Fail(entry, $"its parent directory '{parentPath}' was not written before it");

        if (entry.Kind == FilesystemEntryKind.HardLink)
        {
            if (entry.LinkTarget is null || !_paths.TryGetValue(entry.LinkTarget, out var targetNumber))
                throw Fail(entry, $"the hard link target '{entry.LinkTarget}' was not written before it");
            var target = _inodes[(int)targetNumber]!;
            if (target.IsDirectory) throw Fail(entry, "a hard link cannot name a directory");
            if (entry.Xattrs.Count > 0 && EncodeXattrs(entry).Key != target.XattrKey)
                throw Fail(entry, "its extended attributes differ from those of the file it links to (one inode has one set)");
            if (target.Links >= LinkMax) throw Fail(entry, $"more than {LinkMax} links to one file");
            target.Links++;
            parent.Children!.Add(new Ext4DirectoryChild(name, targetNumber, target.FileType));
            _paths[entry.Path] = targetNumber;
            return;
        }

        var isLostAndFound = entry.Kind == FilesystemEntryKind.Directory && parentNumber == RootInode && entry.Path == "lost+found";
        if (!isLostAndFound && _inodes.Count > _geometry.InodesCount) throw Fail(entry, $"the image has only {_geometry.InodesCount} inodes");
        var number = isLostAndFound ? LostAndFoundInode : (uint)_inodes.Count;
        var inode = new Ext4Inode();
        switch (entry.Kind)
        {
            case FilesystemEntryKind.Directory:
                SetMetadata(inode, entry, ModeDirectory);
                inode.Links = 2;
                inode.Children = [];
                inode.Flags = InodeFlagExtents;
                break;
            case FilesystemEntryKind.RegularFile:
                SetMetadata(inode, entry, ModeRegular);
                await WriteFileDataAsync(inode, number, entry, cancellationToken).ConfigureAwait(false);
                break;
            case FilesystemEntryKind.SymbolicLink:
                SetMetadata(inode, entry, ModeSymlink);
                await WriteSymlinkAsync(inode, number, entry, cancellationToken).ConfigureAwait(false);
                break;
            case FilesystemEntryKind.CharacterDevice:
            case FilesystemEntryKind.BlockDevice:
                SetMetadata(inode, entry, entry.Kind == FilesystemEntryKind.CharacterDevice ? ModeCharDevice : ModeBlockDevice);
                if (entry.DeviceMajor is < 0 or > 0xFFF || entry.DeviceMinor is < 0 or > 0xFFFFF)
                    throw Fail(entry, $"device {entry.DeviceMajor}:{entry.DeviceMinor} is outside 12-bit major, 20-bit minor");
                Ext4Encoding.WriteDeviceNumber(inode.Block, (uint)entry.DeviceMajor, (uint)entry.DeviceMinor);
                break;
            case FilesystemEntryKind.Fifo:
                SetMetadata(inode, entry, ModeFifo);
                break;
            default:
                throw Fail(entry, $"unknown entry kind {entry.Kind}");
        }

        SetXattrs(inode, entry);

        if (isLostAndFound)
        {
            _inodes[(int)number] = inode;
            _lostAndFoundTaken = true;
        }
        else
        {
            _inodes.Add(inode);
        }

        if (inode.IsDirectory)
        {
            inode.Parent = parentNumber;
            parent.Subdirectories++;
        }

        parent.Children!.Add(new Ext4DirectoryChild(name, number, inode.FileType));
        _paths[entry.Path] = number;
    }

    /// <summary>Writes directories, inode tables, bitmaps, group descriptors and superblocks.</summary>
    /// <exception cref="FilesystemBuildException">Out of space for the directories.</exception>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        var root = _inodes[(int)RootInode]!;
        if (!_lostAndFoundTaken && !root.Children!.Exists(c => c.Name.AsSpan().SequenceEqual("lost+found"u8)))
        {
            // mke2fs's lost+found: root-owned 0700, 16 KiB of empty directory blocks so e2fsck can reconnect files without allocating.
            _inodes[(int)LostAndFoundInode] = new Ext4Inode
            {
                Mode = ModeDirectory | 0x1C0, Links = 2, Children = [], Flags = InodeFlagExtents, Parent = RootInode,
                Seconds = root.Seconds, Nanoseconds = root.Nanoseconds,
            };
            root.Subdirectories++;
            root.Children.Add(new Ext4DirectoryChild("lost+found"u8.ToArray(), LostAndFoundInode, FileTypeDirectory));
        }

        if (_journal) await WriteJournalAsync(cancellationToken).ConfigureAwait(false);

        for (var number = 1; number < _inodes.Count; number++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_inodes[number] is not { IsDirectory: true } directory) continue;
            directory.Links = 2 + directory.Subdirectories;
            var minimumBlocks = number == LostAndFoundInode ? 4 : 1;
            var bytes = Ext4Htree.TryBuild((uint)number, directory.Parent, directory.Children!, _hashSeed, _checksums is not null);
            var indexed = bytes is not null;
            bytes ??= Ext4Encoding.BuildDirectoryBlocks((uint)number, directory.Parent, directory.Children!, minimumBlocks,
                _checksums is null ? 0 : Ext4Checksums.DirentTailSize);
            if (indexed) directory.Flags |= InodeFlagIndex;
            if (_checksums is not null) StampDirectory(bytes, indexed, (uint)number);
            directory.Size = (ulong)bytes.Length;
            directory.Children = null; // written: let the names go
            var extents = await WriteRunsAsync(bytes, cancellationToken).ConfigureAwait(false);
            await SetExtentTreeAsync(directory, (uint)number, extents, bytes.Length / BlockSize, $"directory inode {number}", cancellationToken).ConfigureAwait(false);
        }

        foreach (var shared in _xattrBlockList)
        {
            Ext4Xattrs.SetRefcount(shared.Bytes, shared.Refcount);
            _checksums?.StampXattrBlock(shared.Bytes, shared.Block);
            _output.Position = shared.Block * BlockSize;
            await _output.WriteAsync(shared.Bytes, cancellationToken).ConfigureAwait(false);
        }

        await WriteInodeTablesAsync(cancellationToken).ConfigureAwait(false);
        await WriteBitmapsAndSuperblocksAsync(cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The internal journal: inode 8, a regular root-owned 0600 file of <see cref="Ext4Journal.DefaultBlocks"/>
    /// blocks; only its superblock is written, the log space stays zero (holes).
    /// </summary>
    private async Task WriteJournalAsync(CancellationToken cancellationToken)
    {
        var blocks = Ext4Journal.DefaultBlocks(_geometry.BlocksCount);
        if (blocks == 0) return;
        var root = _inodes[(int)RootInode]!;
        var journal = new Ext4Inode
        {
            Mode = ModeRegular | 0x180, Flags = InodeFlagExtents, Size = (ulong)blocks * BlockSize,
            Seconds = root.Seconds, Nanoseconds = root.Nanoseconds,
        };
        var extents = new List<Ext4Extent>();
        var done = 0;
        while (done < blocks)
        {
            var (start, count) = Allocate(blocks - done);
            AppendExtent(extents, new Ext4Extent((uint)done, count, start));
            done += count;
        }

        _output.Position = extents[0].Physical * BlockSize;
        await _output.WriteAsync(Ext4Journal.BuildSuperblock(blocks, _uuid), cancellationToken).ConfigureAwait(false);
        await SetExtentTreeAsync(journal, JournalInode, extents, blocks, "the journal", cancellationToken).ConfigureAwait(false);
        _inodes[(int)JournalInode] = journal;
    }

    /// <summary>An xattr block and the inodes naming it (h_refcount), written by <see cref="FinishAsync"/>.</summary>
    private sealed class SharedXattrBlock(long block, byte[] bytes)
    {
        public long Block { get; } = block;
        public byte[] Bytes { get; } = bytes;
        public int Refcount { get; set; }
    }

    /// <summary>
    /// Stores the entry's xattrs: in the inode when they fit in its 96 spare bytes, else in an xattr block, shared
    /// (up to <see cref="Ext4Xattrs.RefcountMax"/> inodes) with every other inode of the identical set.
    /// </summary>
    private void SetXattrs(Ext4Inode inode, FilesystemEntry entry)
    {
        inode.InBodyXattrs = null;
        inode.XattrBlock = 0;
        inode.XattrKey = null;
        if (entry.Xattrs.Count == 0) return;
        var (key, inBody, block) = EncodeXattrs(entry);
        inode.XattrKey = key;
        _anyXattrs = true;
        if (inBody is not null)
        {
            inode.InBodyXattrs = inBody;
            return;
        }

        if (!_xattrBlocks.TryGetValue(key, out var shared) || shared.Refcount >= Ext4Xattrs.RefcountMax)
        {
            var (start, _) = Allocate(1);
            shared = new SharedXattrBlock(start, block!);
            _xattrBlocks[key] = shared;
            _xattrBlockList.Add(shared);
        }

        shared.Refcount++;
        inode.XattrBlock = shared.Block;
    }

    /// <summary>The set's identity and its in-inode area, or (when it does not fit there) its xattr block.</summary>
    private static (string Key, byte[]? InBody, byte[]? Block) EncodeXattrs(FilesystemEntry entry)
    {
        List<Ext4XattrEntry> entries;
        try { entries = Ext4Xattrs.Prepare(entry.Xattrs); }
        catch (ArgumentException e) { throw Fail(entry, e.Message); }
        var inBody = Ext4Xattrs.TryBuildInBody(entries);
        if (inBody is not null) return ("i:" + Convert.ToHexString(inBody), inBody, null);
        var block = Ext4Xattrs.TryBuildBlock(entries)
            ?? throw Fail(entry, $"its extended attributes ({string.Join(", ", entry.Xattrs.Keys.Order(StringComparer.Ordinal))}) need {Ext4Xattrs.Needed(entries) + Ext4Xattrs.BlockHeaderSize} bytes, more than one {BlockSize}-byte xattr block holds");
        return ("b:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(block)), null, block);
    }

    private static void SetMetadata(Ext4Inode inode, FilesystemEntry entry, ushort type)
    {
        if (entry.Uid is < 0 or > uint.MaxValue || entry.Gid is < 0 or > uint.MaxValue)
            throw Fail(entry, $"uid {entry.Uid} / gid {entry.Gid} outside 0..{uint.MaxValue}");
        var ticks = entry.ModifiedTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0) { seconds--; remainder += TimeSpan.TicksPerSecond; }
        if (seconds is < Ext4Encoding.MinSeconds or > Ext4Encoding.MaxSeconds)
            throw Fail(entry, $"modification time {entry.ModifiedTime:O} is outside what ext4 stores (1901–2446)");
        inode.Mode = (ushort)(type | (entry.Mode & 0xFFF));
        inode.Uid = (uint)entry.Uid;
        inode.Gid = (uint)entry.Gid;
        inode.Seconds = seconds;
        inode.Nanoseconds = (uint)(remainder * 100);
    }

    private async Task WriteSymlinkAsync(Ext4Inode inode, uint number, FilesystemEntry entry, CancellationToken cancellationToken)
    {
        var target = Encoding.UTF8.GetBytes(entry.LinkTarget ?? "");
        if (target.Length is 0 or >= BlockSize || target.AsSpan().Contains((byte)0))
            throw Fail(entry, $"a symlink target must be 1 to {BlockSize - 1} bytes without NUL");
        inode.Size = (ulong)target.Length;
        if (target.Length <= FastSymlinkMax)
        {
            target.CopyTo(inode.Block, 0); // fast symlink: the target in i_block, no extents flag, no blocks
            return;
        }

        var block = new byte[BlockSize];
        target.CopyTo(block, 0);
        inode.Flags = InodeFlagExtents;
        var extents = await WriteRunsAsync(block, cancellationToken).ConfigureAwait(false);
        await SetExtentTreeAsync(inode, number, extents, 1, entry.Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies a file's data in 1 MiB chunks; all-zero 4 KiB blocks become holes.</summary>
    private async Task WriteFileDataAsync(Ext4Inode inode, uint number, FilesystemEntry entry, CancellationToken cancellationToken)
    {
        inode.Flags = InodeFlagExtents;
        inode.Size = (ulong)entry.Size;
        var extents = new List<Ext4Extent>();
        long dataBlocks = 0;
        if (entry.Size < 0) throw Fail(entry, "negative size");
        if ((entry.Size + BlockSize - 1) / BlockSize > uint.MaxValue) throw Fail(entry, "larger than 16 TiB");
        if (entry.Size > 0)
        {
            if (entry.OpenData is null) throw Fail(entry, "a regular file with data has no data to open");
            const int chunk = 1024 * 1024;
            var buffer = ArrayPool<byte>.Shared.Rent(chunk);
            try
            {
                var source = await entry.OpenData(cancellationToken).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    long logical = 0;
                    var remaining = entry.Size;
                    while (remaining > 0)
                    {
                        var want = (int)Math.Min(chunk, remaining);
                        var read = await source.ReadAtLeastAsync(buffer.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                        if (read < want) throw Fail(entry, $"its data ended after {entry.Size - remaining + read} of {entry.Size} bytes");
                        remaining -= read;
                        var blocks = (read + BlockSize - 1) / BlockSize;
                        buffer.AsSpan(read, blocks * BlockSize - read).Clear();
                        var b = 0;
                        while (b < blocks)
                        {
                            if (IsZero(buffer, b)) { b++; continue; }
                            var end = b + 1;
                            while (end < blocks && !IsZero(buffer, end)) end++;
                            var runs = await WriteRunsAsync(buffer.AsMemory(b * BlockSize, (end - b) * BlockSize), cancellationToken).ConfigureAwait(false);
                            foreach (var run in runs) AppendExtent(extents, run with { Logical = (uint)(logical + b + run.Logical) });
                            dataBlocks += end - b;
                            b = end;
                        }

                        logical += blocks;
                    }

                    if (await source.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
                        throw Fail(entry, $"its data is longer than its size of {entry.Size} bytes");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (dataBlocks * (BlockSize / 512) > uint.MaxValue) throw Fail(entry, "more than 2 TiB of data (huge_file is off)");
        await SetExtentTreeAsync(inode, number, extents, dataBlocks, entry.Path, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsZero(byte[] buffer, int block) =>
        !buffer.AsSpan(block * BlockSize, BlockSize).ContainsAnyExcept((byte)0);

    private static void AppendExtent(List<Ext4Extent> extents, Ext4Extent next)
    {
        if (extents.Count > 0)
        {
            var last = extents[^1];
            if (last.Logical + (uint)last.Length == next.Logical && last.Physical + last.Length == next.Physical
                && last.Length + next.Length <= MaxExtentLength)
            {
                extents[^1] = last with { Length = last.Length + next.Length };
                return;
            }
        }

        extents.Add(next);
    }

    /// <summary>Allocates blocks for <paramref name="data"/> (whole blocks) and writes it; returns extents with logical blocks from 0.</summary>
    private async Task<List<Ext4Extent>> WriteRunsAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var extents = new List<Ext4Extent>();
        var blocks = data.Length / BlockSize;
        var done = 0;
        while (done < blocks)
        {
            var (start, count) = Allocate(blocks - done);
            _output.Position = start * BlockSize;
            await _output.WriteAsync(data.Slice(done * BlockSize, count * BlockSize), cancellationToken).ConfigureAwait(false);
            extents.Add(new Ext4Extent((uint)done, count, start));
            done += count;
        }

        return extents;
    }

    /// <summary>The next run of free blocks, at most <paramref name="wanted"/> and at most one extent long, never across a group's metadata.</summary>
    private (long Start, int Count) Allocate(int wanted)
    {
        while (_cursorGroup < _geometry.GroupCount)
        {
            var end = _geometry.GroupEnd(_cursorGroup);
            if (_cursorBlock < end)
            {
                var count = (int)Math.Min(Math.Min(wanted, end - _cursorBlock), MaxExtentLength);
                var start = _cursorBlock;
                _cursorBlock += count;
                return (start, count);
            }

            _cursorGroup++;
            if (_cursorGroup < _geometry.GroupCount) _cursorBlock = _geometry.DataStart(_cursorGroup);
        }

        throw new FilesystemBuildException(
            $"ext4: the image is full: its {Ext4Sizing.DescribeMiB(_geometry.BlocksCount)} do not hold the data (the size hints were too low or the pinned size too small).");
    }

    /// <summary>
    /// Puts the extent tree root into i_block: the extents themselves when there are at most 4 (depth 0), else
    /// blocks of up to 340 entries per level (leaves of extents, then index blocks) until 4 entries remain for the
    /// root; the root's depth is the number of block levels under it.
    /// </summary>
    private async Task SetExtentTreeAsync(Ext4Inode inode, uint number, List<Ext4Extent> extents, long dataBlocks, string what, CancellationToken cancellationToken)
    {
        Array.Clear(inode.Block);
        inode.BlocksUsed = dataBlocks;
        var level = extents; // at depth 0 these are extents; above, (first logical block, node block) pairs in Logical/Physical
        var depth = 0;
        while (level.Count > ExtentsInInode)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var nodes = (level.Count + ExtentsPerBlock - 1) / ExtentsPerBlock;
            var nodeBlocks = new byte[nodes * BlockSize];
            for (var node = 0; node < nodes; node++)
            {
                var first = node * ExtentsPerBlock;
                var count = Math.Min(ExtentsPerBlock, level.Count - first);
                WriteNode(nodeBlocks.AsSpan(node * BlockSize, BlockSize), level, first, count, ExtentsPerBlock, depth);
                _checksums?.StampExtentBlock(nodeBlocks.AsSpan(node * BlockSize, BlockSize), number);
            }

            var runs = await WriteRunsAsync(nodeBlocks, cancellationToken).ConfigureAwait(false);
            var upper = new List<Ext4Extent>(nodes);
            foreach (var run in runs)
                for (var i = 0; i < run.Length; i++)
                    upper.Add(new Ext4Extent(level[(int)(run.Logical + i) * ExtentsPerBlock].Logical, 1, run.Physical + i));
            inode.BlocksUsed += nodes;
            level = upper;
            depth++;
            if (depth > 5) throw new FilesystemBuildException($"ext4: '{what}' needs an extent tree deeper than 5 levels.");
        }

        WriteNode(inode.Block, level, 0, level.Count, ExtentsInInode, depth);
    }

    /// <summary>An extent tree node: the header, then leaf extents (depth 0) or index entries (depth above 0).</summary>
    private static void WriteNode(Span<byte> node, List<Ext4Extent> entries, int first, int count, int max, int depth)
    {
        Ext4Encoding.WriteExtentHeader(node, count, max, depth);
        for (var i = 0; i < count; i++)
        {
            var at = node[(ExtentHeaderSize + i * ExtentEntrySize)..];
            var entry = entries[first + i];
            if (depth == 0) Ext4Encoding.WriteExtent(at, entry);
            else Ext4Encoding.WriteExtentIndex(at, entry.Logical, entry.Physical);
        }
    }

    /// <summary>
    /// Checksums of a directory's blocks: the dx_tail of an htree's root (block 0) and index nodes (their first
    /// entry is the fake one covering the whole block), the dirent tail of every other block.
    /// </summary>
    private void StampDirectory(byte[] bytes, bool indexed, uint number)
    {
        for (var b = 0; b < bytes.Length / BlockSize; b++)
        {
            var block = bytes.AsSpan(b * BlockSize, BlockSize);
            if (indexed && b == 0)
                _checksums!.StampIndex(block, Ext4Htree.RootIndexOffset, number);
            else if (indexed && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(block) == 0
                     && System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(block[4..]) == BlockSize)
                _checksums!.StampIndex(block, Ext4Htree.NodeIndexOffset, number);
            else
                _checksums!.StampLeaf(block, number);
        }
    }

    private async Task WriteInodeTablesAsync(CancellationToken cancellationToken)
    {
        var perGroup = _geometry.InodesPerGroup;
        for (var group = 0; group * (long)perGroup < _inodes.Count - 1; group++)
        {
            var first = group * perGroup + 1;
            var count = Math.Min(perGroup, _inodes.Count - first);
            var table = new byte[count * InodeSize];
            var any = false;
            for (var i = 0; i < count; i++)
            {
                if (_inodes[first + i] is not { } inode) continue;
                Ext4Encoding.WriteInode(table.AsSpan(i * InodeSize, InodeSize), inode);
                _checksums?.StampInode(table.AsSpan(i * InodeSize, InodeSize), (uint)(first + i));
                any = true;
            }

            if (!any) continue;
            _output.Position = _geometry.InodeTable(group) * BlockSize;
            await _output.WriteAsync(table, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteBitmapsAndSuperblocksAsync(CancellationToken cancellationToken)
    {
        var g = _geometry;
        var descriptors = new Ext4GroupDescriptor[g.GroupCount];
        long freeBlocks = 0, freeInodes = 0;
        var bitmap = new byte[BlockSize];
        for (var group = 0; group < g.GroupCount; group++)
        {
            var start = g.GroupStart(group);
            var used = group < _cursorGroup ? g.GroupEnd(group) - start
                : group == _cursorGroup ? _cursorBlock - start
                : g.DataStart(group) - start; // the allocator uses a prefix of each group's data blocks
            var inGroup = g.GroupEnd(group) - start;
            Array.Clear(bitmap);
            SetBits(bitmap, 0, used);
            SetBits(bitmap, inGroup, BlocksPerGroup); // padding past the end of the last group
            var blockBitmapChecksum = _checksums?.Bitmap(bitmap) ?? 0;
            _output.Position = g.BlockBitmap(group) * BlockSize;
            await _output.WriteAsync(bitmap, cancellationToken).ConfigureAwait(false);

            Array.Clear(bitmap);
            var usedInodes = 0;
            var directories = 0;
            for (var i = 0; i < g.InodesPerGroup; i++)
            {
                var number = (long)group * g.InodesPerGroup + i + 1;
                var inUse = number < FirstNonReservedInode || (number < _inodes.Count && _inodes[(int)number] is not null);
                if (!inUse) continue;
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
                usedInodes++;
                if (number < _inodes.Count && _inodes[(int)number] is { IsDirectory: true }) directories++;
            }

            SetBits(bitmap, g.InodesPerGroup, BlocksPerGroup);
            var inodeBitmapChecksum = _checksums?.Bitmap(bitmap.AsSpan(0, g.InodesPerGroup / 8)) ?? 0;
            _output.Position = g.InodeBitmap(group) * BlockSize;
            await _output.WriteAsync(bitmap, cancellationToken).ConfigureAwait(false);

            descriptors[group] = new Ext4GroupDescriptor(g.BlockBitmap(group), g.InodeBitmap(group), g.InodeTable(group),
                (int)(inGroup - used), g.InodesPerGroup - usedInodes, directories,
                _checksums is null ? (ushort)0 : GroupFlagInodeTableZeroed, blockBitmapChecksum, inodeBitmapChecksum);
            freeBlocks += inGroup - used;
            freeInodes += g.InodesPerGroup - usedInodes;
        }

        var journalInode = _inodes.Count > JournalInode ? _inodes[(int)JournalInode] : null;
        var fields = new Ext4SuperblockFields(g, freeBlocks, freeInodes, Timestamp: 0, _uuid, _hashSeed,
            FeatureCompat: CompatDirIndex | (_anyXattrs ? CompatExtAttr : 0) | (journalInode is null ? 0 : CompatHasJournal),
            FeatureIncompat: IncompatFiletype | IncompatExtents,
            FeatureRoCompat: RoCompatSparseSuper | RoCompatLargeFile | RoCompatDirNlink | RoCompatExtraIsize | (_checksums is null ? 0 : RoCompatMetadataCsum),
            Journal: journalInode);
        var gdt = new byte[g.GdtBlocks * BlockSize];
        for (var group = 0; group < g.GroupCount; group++)
        {
            Ext4Encoding.WriteGroupDescriptor(gdt.AsSpan(group * GroupDescriptorSize), descriptors[group]);
            _checksums?.StampGroupDescriptor(gdt.AsSpan(group * GroupDescriptorSize, GroupDescriptorSize), (uint)group);
        }

        var superblock = new byte[SuperblockSize];
        for (var group = 0; group < g.GroupCount; group++)
        {
            if (!Ext4Geometry.HasSuperblock(group)) continue;
            Ext4Encoding.WriteSuperblock(superblock, fields, group);
            if (_checksums is not null) Ext4Checksums.StampSuperblock(superblock);
            // Group 0's superblock is at byte 1024 of block 0; a backup starts its group's first block.
            _output.Position = group == 0 ? SuperblockOffset : g.GroupStart(group) * BlockSize;
            await _output.WriteAsync(superblock, cancellationToken).ConfigureAwait(false);
            _output.Position = (g.GroupStart(group) + 1) * BlockSize;
            await _output.WriteAsync(gdt, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void SetBits(byte[] bitmap, long from, long to)
    {
        for (var bit = from; bit < to; bit++) bitmap[bit >> 3] |= (byte)(1 << (int)(bit & 7));
    }

    private static FilesystemBuildException Fail(FilesystemEntry entry, string reason) =>
        new($"ext4: cannot write '{entry.Path}': {reason}.");
}
