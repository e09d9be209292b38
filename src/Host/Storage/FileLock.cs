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
        var started = Environment.TickCount64;
        var told = false;
        var delay = 1;
        while (true)
        {
            var stream = OpenUnlessLockedElsewhere(path, FileMode.OpenOrCreate);
            if (stream is not null)
            {
                if (Libc.TryLockExclusive(stream.SafeFileHandle)) return new FileLock(stream);
                stream.Dispose();
            }
            if (!told && Environment.TickCount64 - started >= QuietWait.TotalMilliseconds)
            {
                onWaiting?.Invoke($"waiting for {path}: another imagecache process holds it");
                told = true;
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }
    }

    /// <summary>Tries once to take the lock; null when another process holds it (or, with <paramref name="create"/> false, when the file is missing).</summary>
    public static FileLock? TryAcquire(string path, bool create = true)
    {
        FileStream? stream;
        try { stream = OpenUnlessLockedElsewhere(path, create ? FileMode.OpenOrCreate : FileMode.Open); }
        catch (IOException) { return null; }
        if (stream is null) return null;
        if (Libc.TryLockExclusive(stream.SafeFileHandle)) return new FileLock(stream);
        stream.Dispose();
        return null;
    }

    /// <summary>
    /// Opens the lock file; null when another process holds the lock. .NET's FileShare emulation takes its own
    /// non-blocking shared <c>flock</c> when it opens a file, so while another process holds the exclusive lock the
    /// open itself fails with EWOULDBLOCK: that means "held elsewhere, wait", not an error.
    /// </summary>
    static FileStream? OpenUnlessLockedElsewhere(string path, FileMode mode)
    {
        try
        {
            var options = new FileStreamOptions
            {
                Mode = mode,
                Access = FileAccess.ReadWrite,
                // Sharing is what flock decides; .NET's own FileShare locking can be disabled by an environment switch.
                Share = FileShare.ReadWrite | FileShare.Delete,
            };
            // FileStream refuses a create mode with FileMode.Open (ArgumentException), so only when it may create.
            if (mode != FileMode.Open) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            return new FileStream(path, options);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException) && e.HResult == WouldBlock)
        {
            return null;
        }
    }

    /// <summary>EWOULDBLOCK (= EAGAIN): 11 on Linux, 35 on macOS and the BSDs. .NET reports it as the IOException's HResult.</summary>
    static int WouldBlock => OperatingSystem.IsLinux() ? 11 : 35;

    /// <summary>Releases the lock (closing the descriptor releases the flock).</summary>
    public void Dispose() => stream.Dispose();
}
