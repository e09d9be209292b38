namespace ImageCache.Host.Operations;

/// <summary>How an <see cref="ImageCacheClient"/> is set up.</summary>
public sealed record ImageCacheOptions
{
    /// <summary>The state directory; null means <c>$IMAGECACHE_STATE_DIR</c>, else <c>~/.imagecache</c>.</summary>
    public string? StateDir { get; init; }

    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Receives notices meant for a person (e.g. "waiting for the index lock"); may be null.</summary>
    public Action<string>? OnNotice { get; init; }
}
