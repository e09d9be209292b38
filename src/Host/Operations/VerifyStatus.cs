namespace ImageCache.Host.Operations;

/// <summary>The state of a sealed baseline as <c>verify</c> finds it.</summary>
public enum VerifyStatus
{
    /// <summary>Present, read-only, and its SHA-256 and size are as recorded.</summary>
    Ok,
    /// <summary>The file is gone.</summary>
    Missing,
    /// <summary>Its content or size differs from the record.</summary>
    Modified,
    /// <summary>Content as recorded, but someone can write to it (mode has write bits).</summary>
    Writable,
    /// <summary>The record was never sealed (no hash recorded), so it cannot be checked.</summary>
    Unsealed,
}
