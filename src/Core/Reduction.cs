using LanguageExt;

namespace ImageCache.Core;

/// <summary>The new index, the effects to perform after writing it, and the answer.</summary>
public sealed record Reduction(ImageIndex Index, Seq<IndexEffect> Effects, IndexResult Result);
