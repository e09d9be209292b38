using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core;

/// <summary>File-system facts a Remove or Prune decides on, gathered by the Host under the index lock.</summary>
/// <param name="StoreDir">The baseline store directory with symlinks resolved; empty when it does not exist.</param>
/// <param name="Files">Facts by record <c>output_path</c> (as written in the record).</param>
/// <param name="StoreFiles">Resolved paths of the files found in the store directory (for orphan collection).</param>
public sealed record StoreFacts(string StoreDir, Map<OrdStringOrdinal, string, FileFact> Files, Seq<string> StoreFiles)
{
    /// <summary>No store, no files.</summary>
    public static readonly StoreFacts None = new("", Map<OrdStringOrdinal, string, FileFact>.Empty, Seq<string>.Empty);

    /// <summary>The fact for a record's path; a path the Host did not report counts as missing and outside the store.</summary>
    public FileFact For(string outputPath) => Files.Find(outputPath).IfNone(new FileFact("", false));

    /// <summary>True when the record's file resolves inside the store.</summary>
    public bool InStore(string outputPath) => StoreRules.IsInsideStore(StoreDir, For(outputPath).ResolvedPath);
}
