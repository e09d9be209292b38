using System.Runtime.InteropServices;

namespace ImageCache.Host.Storage;

/// <summary>An advisory lock (<c>flock</c>, exclusive or shared) on a file, held until disposed. Works across processes; a killed process releases it.</summary>
public sealed class FileLock : IDisposable
{
    int descriptor;

    FileLock(int descriptor) => this.descriptor = descriptor;

    /// <summary>How long to wait quietly before telling the user another process holds the lock.</summary>
    public static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes the lock, creating the file (0600) if needed, waiting as long as another process holds it.
    /// After <see cref="QuietWait"/>, <paramref name="onWaiting"/> is called once with a message.
    /// </summary>
    /// <exception cref="IOException">The lock file cannot be opened or created.</exception>
    public static Task<FileLock> AcquireAsync(string path, Action<string>? onWaiting, CancellationToken cancellationToken) =>
        AcquireAsync(path, shared: false, onWaiting, cancellationToken);

    /// <summary>
    /// Takes the lock shared (many holders at once, none while an exclusive holder has it), waiting like
    /// <see cref="AcquireAsync(string, Action{string}?, CancellationToken)"/>.
    /// </summary>
    public static Task<FileLock> AcquireSharedAsync(string path, Action<string>? onWaiting, CancellationToken cancellationToken) =>
        AcquireAsync(path, shared: true, onWaiting, cancellationToken);

    static async Task<FileLock> AcquireAsync(string path, bool shared, Action<string>? onWaiting, CancellationToken cancellationToken)
    {
        var fd = Open(path, create: true) ?? throw new IOException($"{path} vanished while it was being created");
        try
        {
            var started = Environment.TickCount64;
            var told = false;
            var delay = 1;
            while (!(shared ? Libc.TryLockShared(fd) : Libc.TryLockExclusive(fd)))
            {
                if (!told && Environment.TickCount64 - started >= QuietWait.TotalMilliseconds)
                {
                    onWaiting?.Invoke($"waiting for {path}: another imagecache process holds it");
                    told = true;
                }
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 25);
            }
            return new FileLock(fd);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    /// <summary>Tries once to take the lock; null when another process holds it, or (with <paramref name="create"/> false) when the file is missing.</summary>
    public static FileLock? TryAcquire(string path, bool create = true)
    {
        int? fd;
        try { fd = Open(path, create); }
        catch (IOException) { return null; }
        if (fd is null) return null;
        if (Libc.TryLockExclusive(fd.Value)) return new FileLock(fd.Value);
        Libc.Close(fd.Value);
        return null;
    }

    static int? Open(string path, bool create)
    {
        var fd = Libc.OpenForLock(path, create);
        if (fd >= 0) return fd;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == 2 /* ENOENT */ && !create) return null;
        throw new IOException($"cannot open lock file {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Releases the lock (closing the descriptor releases the flock).</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref descriptor, -1);
        if (fd >= 0) Libc.Close(fd);
    }
}
