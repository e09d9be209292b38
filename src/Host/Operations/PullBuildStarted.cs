namespace ImageCache.Host.Operations;

/// <summary>
/// Reported by <see cref="ImageCacheClient.PullAsync"/> (to a progress object that also implements
/// <c>IProgress&lt;PullBuildStarted&gt;</c>) when the layers are merged and the builder starts, so a progress display
/// can size its build bar before the builder's own <c>BuildProgress</c> reports arrive.
/// </summary>
/// <param name="Builder">The builder plugin's name.</param>
/// <param name="Format">The image format it writes (ext4, squashfs, …).</param>
/// <param name="EntryCount">Entries of the merged tree the builder will write.</param>
/// <param name="ContentBytes">Bytes of regular-file data in the merged tree.</param>
public sealed record PullBuildStarted(string Builder, string Format, long EntryCount, long ContentBytes);
