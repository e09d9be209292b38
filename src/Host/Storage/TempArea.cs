namespace ImageCache.Host.Storage;

/// <summary>
/// Private working directories under <c>tmp/</c>. Each holds a lock on its own <c>.owner.lock</c> for as long as
/// its process lives; an entry whose lock can be taken belongs to a dead process and is stale.
/// </summary>
public sealed class TempArea(StateLayout layout)
{
    internal const string OwnerLockName = ".owner.lock";

    /// <summary>An entry with no lock file and no creator PID in its name is only taken for stale after this long (its creator may be between mkdir and lock).</summary>
    static readonly TimeSpan UnlockedGrace = TimeSpan.FromMinutes(1);

    /// <summary>Creates a new private directory (0700), held until the returned scope is disposed, which deletes it.</summary>
    public TempScope Create(string purpose)
    {
        Directory.CreateDirectory(layout.TmpDir, IndexStore.DirectoryMode);
        var directory = Path.Combine(layout.TmpDir, $"{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory, IndexStore.DirectoryMode);
        var held = FileLock.TryAcquire(Path.Combine(directory, OwnerLockName))
                   ?? throw new IOException($"cannot lock the new temp directory {directory}");
        return new TempScope(directory, held);
    }

    /// <summary>
    /// Removes entries of dead processes; returns the paths removed. <paramref name="beforeDelete"/> sees each stale
    /// directory before it goes (a pull rolls back a publish it had begun there).
    /// </summary>
    public IReadOnlyList<string> CleanStale(DateTimeOffset now, Action<string>? beforeDelete = null)
    {
        var removed = new List<string>();
        if (!Directory.Exists(layout.TmpDir)) return removed;
        foreach (var entry in Directory.EnumerateFileSystemEntries(layout.TmpDir).Order(StringComparer.Ordinal).ToArray())
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is not null || !Directory.Exists(entry))
            {
                // Stray files are litter from older versions or killed writers; nothing holds them.
                if (now - info.LastWriteTimeUtc >= UnlockedGrace) { DeleteTree(entry); removed.Add(entry); }
                continue;
            }
            // A creator that still runs may be between creating its lock file and locking it: even a moment's hold
            // of its lock here makes its Create fail (found by the 16-process stress test). Its entry is not stale.
            var creator = CreatorOf(entry);
            if (creator == Creator.Running) continue;
            using var held = FileLock.TryAcquire(Path.Combine(entry, OwnerLockName), create: false);
            if (held is null)
            {
                var hasLock = File.Exists(Path.Combine(entry, OwnerLockName));
                if (hasLock) continue; // locked: alive
                // No lock file: a creator killed between mkdir and its lock file (CI caught one) is gone for good;
                // only an entry whose creator is unknown may still be being made.
                if (creator == Creator.Unknown && now - Directory.GetLastWriteTimeUtc(entry) < UnlockedGrace) continue;
            }
            beforeDelete?.Invoke(entry);
            DeleteTree(entry);
            removed.Add(entry);
        }
        return removed;
    }

    enum Creator { Unknown, Running, Dead }

    /// <summary>Whether the process named in <paramref name="entry"/> (<c>PURPOSE-PID-GUID</c>) is this one or still exists.</summary>
    static Creator CreatorOf(string entry)
    {
        var name = Path.GetFileName(entry);
        var last = name.LastIndexOf('-');
        var before = last > 0 ? name.LastIndexOf('-', last - 1) : -1;
        if (before < 0 || !int.TryParse(name.AsSpan(before + 1, last - before - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            return Creator.Unknown;
        return ProcessLiveness.MayBeRunning(pid) ? Creator.Running : Creator.Dead;
    }

    internal static void DeleteTree(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null || !Directory.Exists(path)) { File.Delete(path); return; }
            // Read-only directories inside (an image's 0555 dirs) would stop a recursive delete for a non-root user.
            foreach (var child in new DirectoryInfo(path).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false }))
                child.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException) { }
        catch (FileNotFoundException) { }
    }
}
