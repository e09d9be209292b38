namespace ImageCache.Host;

/// <summary>Stable codes of the Host's expected errors (the core's are in <see cref="Core.ErrorCodes"/>).</summary>
public static class HostErrorCodes
{
    /// <summary>The index file does not parse.</summary>
    public const int IndexCorrupt = 2001;
    /// <summary>The state directory cannot be created or written.</summary>
    public const int StateNotWritable = 2002;
    /// <summary>A baseline failed verification.</summary>
    public const int VerificationFailed = 2003;
    /// <summary>Waiting for a lock was cancelled.</summary>
    public const int LockCancelled = 2004;

    /// <summary>A pull failed: bad source, fetch, layer or build error.</summary>
    public const int PullFailed = 2005;

    /// <summary>A clone was refused or failed: no baseline, bad destination, shrink, grow of a non-ext4 copy, a changed baseline.</summary>
    public const int CloneFailed = 2006;
}
