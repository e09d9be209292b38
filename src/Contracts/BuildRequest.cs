namespace ImageCache.Contracts;

/// <summary>What to build.</summary>
/// <param name="OutputPath">The file to write (in the host's temp directory); it does not exist yet.</param>
/// <param name="SizeBytes">A pinned size, or null for automatic sizing.</param>
/// <param name="ContentKey">The baseline's content key (hex); seeds the UUID and hash seeds so output is reproducible.</param>
/// <param name="ContentBytesHint">Total data bytes of all regular files, for sizing before the entries stream.</param>
/// <param name="EntryCountHint">Number of entries, for sizing inode tables.</param>
/// <param name="Options">Builder-specific options (<c>--builder-opt key=value</c>).</param>
/// <param name="Progress">Receives build progress; may be null.</param>
public sealed record BuildRequest(
    string OutputPath,
    long? SizeBytes,
    string ContentKey,
    long ContentBytesHint,
    long EntryCountHint,
    IReadOnlyDictionary<string, string> Options,
    IProgress<BuildProgress>? Progress);
