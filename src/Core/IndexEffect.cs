namespace ImageCache.Core;

/// <summary>What the Host must do after it has written the new index.</summary>
public abstract record IndexEffect
{
    IndexEffect() { }

    /// <summary>Delete the baseline file at this resolved path (always inside the store).</summary>
    public sealed record DeleteFile(string Path) : IndexEffect;
}
