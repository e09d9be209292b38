namespace ImageCache.Host.Storage;

/// <summary>A private temp directory held by this process; disposing deletes it, then releases its lock.</summary>
public sealed class TempScope : IDisposable
{
    readonly FileLock held;

    internal TempScope(string directory, FileLock held)
    {
        Directory = directory;
        this.held = held;
    }

    /// <summary>The directory.</summary>
    public string Directory { get; }

    /// <summary>Deletes the directory and releases its lock.</summary>
    public void Dispose()
    {
        TempArea.DeleteTree(Directory);
        held.Dispose();
    }
}
