namespace ImageCache.Host.Storage;

/// <summary>An exclusive advisory lock (<c>flock</c>) on a file, held until disposed. Works across processes.</summary>
public sealed class FileLock : IDisposable
{
    readonly FileStream stream;

    FileLock(FileStream stream) => this.stream = stream;

    /// <summary>How long to wait quietly before telling the user another process holds the lock.</summary>
    public static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes the lock, creating the file (0600) if needed, waiting as long as another process holds it.
    /// After <see cref="QuietWait"/>, <paramref name="onWaiting"/> is called once with a message.
    /// </summary>
    public static async Task<FileLock> AcquireAsync(string path, Action<string>? onWaiting, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            // Sharing is what flock below decides; .NET's own FileShare locking can be disabled by an environment switch.
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        try
        {
            var started = Environment.TickCount64;
            var told = false;
            var delay = 1;
            while (!Libc.TryLockExclusive(stream.SafeFileHandle))
            {
                if (!told && Environment.TickCount64 - started >= QuietWait.TotalMilliseconds)
                {
                    onWaiting?.Invoke($"waiting for {path}: another imagecache process holds it");
                    told = true;
                }
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 50);
            }
            return new FileLock(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Tries once to take the lock; null when another process holds it (or, with <paramref name="create"/> false, when the file is missing).</summary>
    public static FileLock? TryAcquire(string path, bool create = true)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = create ? FileMode.OpenOrCreate : FileMode.Open, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) { return null; }
        if (Libc.TryLockExclusive(stream.SafeFileHandle)) return new FileLock(stream);
        stream.Dispose();
        return null;
    }

    /// <summary>Releases the lock (closing the descriptor releases the flock).</summary>
    public void Dispose() => stream.Dispose();
}
