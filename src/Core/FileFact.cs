namespace ImageCache.Core;

/// <summary>What the Host found at a record's <c>output_path</c>.</summary>
/// <param name="ResolvedPath">The absolute path with the parent directory's symlinks resolved (the file itself is not followed); empty when the parent could not be resolved.</param>
/// <param name="Exists">Whether a file is there.</param>
public sealed record FileFact(string ResolvedPath, bool Exists);
