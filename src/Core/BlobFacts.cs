using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core;

/// <summary>Facts about the blob store (<c>state/oci</c>) a blob collection decides on, gathered by the Host under the locks.</summary>
/// <param name="LayoutRefs">The entries of the layout's <c>index.json</c>: (ref name or empty, digest), in file order.</param>
/// <param name="Children">For each stored manifest or index the Host parsed: the digests it references (manifests, config, layers, subject).</param>
/// <param name="StoredBlobs">Every blob in the store: digest to size in bytes.</param>
public sealed record BlobFacts(
    Seq<(string RefName, string Digest)> LayoutRefs,
    Map<OrdStringOrdinal, string, Seq<string>> Children,
    Map<OrdStringOrdinal, string, long> StoredBlobs);
