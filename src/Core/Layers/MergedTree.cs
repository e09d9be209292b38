using LanguageExt;

namespace ImageCache.Core.Layers;

/// <summary>
/// The flattened filesystem. <see cref="Entries"/> starts with the root, then every non-hard-link entry in
/// <see cref="PathRules.Compare"/> order (so a directory precedes its children, depth first, children by
/// ordinal name), then every hard link in the same order (so each follows the file it points at).
/// </summary>
/// <param name="Entries">The final entries, in the order described above.</param>
/// <param name="RegularFileBytes">Total content bytes of regular files, each hard-linked file counted once.</param>
/// <param name="StrippedSetuidCount">How many entries lost setuid/setgid bits (a hard-linked file counts once).</param>
/// <param name="StrippedSetuidPaths">The first 32 of those paths in ordinal order.</param>
public sealed record MergedTree(
    Seq<MergedEntry> Entries,
    long RegularFileBytes,
    int StrippedSetuidCount,
    Seq<string> StrippedSetuidPaths)
{
    /// <summary>How many paths are listed in <see cref="StrippedSetuidPaths"/> at most.</summary>
    public const int StrippedPathLimit = 32;

    /// <summary>Number of entries, the root and hard links included.</summary>
    public int EntryCount => Entries.Count;
}
