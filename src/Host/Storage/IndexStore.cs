using System.Text.Json;
using ImageCache.Core;

namespace ImageCache.Host.Storage;

/// <summary>
/// Reads and writes <c>images/index.json</c>: atomic, durable writes (temp file, fsync, rename, fsync of the
/// directory); the previous good index kept as <c>index.json.bak</c>; an exclusive lock around every
/// read-modify-write. Directories are 0700, files 0600.
/// </summary>
public sealed class IndexStore(StateLayout layout, Action<string>? onWaiting = null)
{
    internal const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    internal const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The layout this store works in.</summary>
    public StateLayout Layout => layout;

    /// <summary>Reads the index, every record decoded in one pass (for reading it all: list, inspect, verify); a missing file is an empty index.</summary>
    /// <exception cref="ImageCacheException">The file does not parse (the message names it and the backup), or cannot be read.</exception>
    public ImageIndex Read() => Read(forUpdate: false);

    /// <summary>
    /// Reads the index for a read-modify-write under <see cref="LockAsync"/>: when the file is our own (its checksum
    /// holds) each record's details are decoded only if used (<see cref="IndexScanner"/>), since a change touches few
    /// records and the writer copies the others' bytes; anything else is read as <see cref="Read()"/> reads it.
    /// </summary>
    /// <exception cref="ImageCacheException">As <see cref="Read()"/>.</exception>
    public ImageIndex ReadForUpdate() => Read(forUpdate: true);

    ImageIndex Read(bool forUpdate)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(layout.IndexFile); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return ImageIndex.Empty; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot read index {layout.IndexFile}: {e.Message}", e);
        }
        try
        {
            ImageIndex? index = null;
            RawIndex? raw = null;
            if (forUpdate && IndexChecksum.Holds(bytes, out var bodyLength) && IndexScanner.TryScan(bytes, bodyLength, out var scanned, out raw))
                index = scanned;
            index ??= IndexJson.Deserialize(bytes, out raw);
            if (raw is not null) rawSources.AddOrUpdate(index, raw);
            return index;
        }
        catch (JsonException e)
        {
            var backup = File.Exists(layout.IndexBackupFile) ? $"; the previous good copy is {layout.IndexBackupFile}" : "";
            throw new ImageCacheException(HostErrorCodes.IndexCorrupt,
                $"index {layout.IndexFile} is corrupt ({OneLine(e.Message)}){backup}", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="next"/> unless it holds the very records of <paramref name="current"/> in the same
    /// order (the reducer keeps untouched records as they are). Compared by identity, not value: value equality of
    /// LanguageExt collections costs a reflection scan that a short CLI run cannot afford.
    /// </summary>
    public void WriteIfChanged(ImageIndex current, ImageIndex next)
    {
        if (SameRecords(current, next)) return;
        // Under the lock, the file still holds what `current` was read from: its unchanged records can be copied.
        Write(next, rawSources.TryGetValue(current, out var raw) ? raw : null);
    }

    /// <summary>Writes the index atomically and durably; the index it replaces becomes <c>index.json.bak</c>. Call it under <see cref="LockAsync"/>.</summary>
    public void Write(ImageIndex index) => Write(index, raw: null);

    // A plain loop: LINQ's Zip over two Seqs of records is a generic instantiation over a value tuple, which no
    // ReadyToRun image holds; its first use cost ~4 ms of JIT in every command that changes the index.
    static bool SameRecords(ImageIndex current, ImageIndex next)
    {
        if (current.Images.Count != next.Images.Count) return false;
        var (before, after) = (current.Images.ToArray(), next.Images.ToArray());
        for (var i = 0; i < before.Length; i++)
            if (!ReferenceEquals(before[i], after[i])) return false;
        return true;
    }

    /// <summary>The bytes each index read came from, so a write after it copies unchanged records (by identity).</summary>
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<ImageIndex, RawIndex> rawSources = new();

    void Write(ImageIndex index, RawIndex? raw)
    {
        EnsureDirectories();
        RemoveStaleTemps();
        var temp = Path.Combine(layout.ImagesDir, $".index.json.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode600, BufferSize = 1 << 16,
            }))
            {
                WriteContent(index, raw, stream);
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(layout.IndexFile))
                File.Replace(temp, layout.IndexFile, layout.IndexBackupFile, ignoreMetadataErrors: true); // hard-links the old file to .bak, then renames
            else
                File.Move(temp, layout.IndexFile);
            Libc.FsyncDirectory(layout.ImagesDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot write index {layout.IndexFile}: {OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// Deletes <c>.index.json.tmp-*</c> left by a writer killed mid-write. Writers hold the index lock while their
    /// temp file exists, so under the lock any such file is stale.
    /// </summary>
    /// <summary>The bytes of the index file: the index (records in <paramref name="raw"/> copied), then its checksum member.</summary>
    internal static void WriteContent(ImageIndex index, RawIndex? raw, Stream destination)
    {
        var body = new ChecksummingStream(destination);
        IndexJson.Serialize(index, body, raw, bodyOnly: true);
        IndexChecksum.WriteTrailer(destination, body.Crc32C);
    }

    void RemoveStaleTemps()
    {
        foreach (var stale in Directory.EnumerateFiles(layout.ImagesDir, ".index.json.tmp-*"))
            TryDelete(stale);
    }

    /// <summary>Takes the index lock (blocking, with a message after a second), for a read-modify-write.</summary>
    public async Task<FileLock> LockAsync(CancellationToken cancellationToken)
    {
        EnsureDirectories();
        try { return await FileLock.AcquireAsync(layout.IndexLockFile, onWaiting, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot lock index {layout.IndexLockFile}: {OneLine(e.Message)}", e);
        }
        catch (OperationCanceledException e)
        {
            throw new ImageCacheException(HostErrorCodes.LockCancelled, "cancelled while waiting for the index lock", e);
        }
    }

    /// <summary>
    /// Under the lock: reads the index, lets <paramref name="decide"/> compute the next index and a result, and
    /// writes the index when it changed. Nothing is written when <paramref name="decide"/> throws.
    /// </summary>
    public async Task<T> UpdateAsync<T>(Func<ImageIndex, (ImageIndex Next, T Result)> decide, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        var current = ReadForUpdate();
        var (next, result) = decide(current);
        WriteIfChanged(current, next);
        return result;
    }

    /// <summary>Creates the state directories with mode 0700 if they are missing.</summary>
    public void EnsureDirectories()
    {
        try
        {
            foreach (var directory in new[] { layout.Root, layout.ImagesDir, layout.RootfsDir })
                if (!Directory.Exists(directory)) Directory.CreateDirectory(directory, DirectoryMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot create state directory {layout.Root}: {OneLine(e.Message)}", e);
        }
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
