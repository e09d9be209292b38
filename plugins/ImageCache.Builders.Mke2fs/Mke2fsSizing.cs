using ImageCache.Contracts;

namespace ImageCache.Builders.Mke2fs;

/// <summary>
/// Picks the image size and inode count before anything runs, from the request's hints. An upper-bound
/// estimate: every entry may take one block (a file's last partial block, a directory or a slow symlink) and one
/// in eight an xattr block; the inode tables, the journal mke2fs adds for the size, and ~1.5 % of group metadata
/// come on top. Automatic sizing adds max(64 MiB, 10 %) free and rounds up to a MiB.
/// </summary>
internal static class Mke2fsSizing
{
    public const long BlockSize = 4096;
    public const int InodeSize = 256;
    private const long MiB = 1024 * 1024;

    /// <summary>Inodes to ask for: every entry and a quarter more for the guest, and at least one per 16 KiB.</summary>
    public static long Inodes(long entryCount, long imageBytes) => Math.Max(entryCount + entryCount / 4 + 1024, imageBytes / 16384);

    /// <summary>The bytes this image needs at least, for an image of <paramref name="imageBytes"/> (which decides the journal).</summary>
    public static long Needed(long contentBytes, long entryCount, long imageBytes, bool journal)
    {
        var dataBlocks = (contentBytes + BlockSize - 1) / BlockSize + entryCount + entryCount / 8 + 16;
        var inodeTables = Inodes(entryCount, imageBytes) * InodeSize;
        var groupMetadata = imageBytes / 64;
        return dataBlocks * BlockSize + inodeTables + groupMetadata + (journal ? JournalBytes(imageBytes) : 0) + 2 * MiB;
    }

    /// <summary>The automatic image size.</summary>
    public static long Automatic(long contentBytes, long entryCount, bool journal)
    {
        var size = 64 * MiB;
        for (var i = 0; i < 64; i++)
        {
            var needed = Needed(contentBytes, entryCount, size, journal);
            var wanted = RoundUpToMiB(needed + Math.Max(64 * MiB, needed / 10));
            if (wanted <= size) return size;
            size = wanted;
        }

        return size;
    }

    /// <summary>Refuses a pinned size too small for the content, before anything is written.</summary>
    public static void CheckPinned(long pinned, long contentBytes, long entryCount, bool journal)
    {
        var needed = Needed(contentBytes, entryCount, pinned, journal);
        if (pinned < needed)
            throw new FilesystemBuildException(
                $"mke2fs: the pinned size of {pinned / MiB} MiB is too small for this image; it needs at least {RoundUpToMiB(needed) / MiB} MiB.");
    }

    /// <summary>e2fsprogs' ext2fs_default_journal_size, in bytes (4 KiB blocks).</summary>
    public static long JournalBytes(long imageBytes)
    {
        var blocks = imageBytes / BlockSize;
        long journalBlocks = blocks switch
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
        return journalBlocks * BlockSize;
    }

    public static long RoundUpToMiB(long bytes) => (bytes + MiB - 1) / MiB * MiB;
}
