namespace ImageCache.Core.Layers;

/// <summary>Policy knobs of <see cref="LayerMerge.Apply"/>.</summary>
/// <param name="StripSetuid">
/// Clear the setuid (04000) and setgid (02000) bits of every final entry except symlinks, and record which
/// paths lost them (origin-behaviour §7.6; the sticky bit is kept). <c>--allow-setuid</c> turns this off.
/// </param>
public sealed record MergeOptions(bool StripSetuid)
{
    /// <summary>The default policy: strip setuid/setgid.</summary>
    public static readonly MergeOptions Default = new(StripSetuid: true);

    /// <summary>Keep setuid/setgid bits (<c>--allow-setuid</c>).</summary>
    public static readonly MergeOptions AllowSetuid = new(StripSetuid: false);
}
