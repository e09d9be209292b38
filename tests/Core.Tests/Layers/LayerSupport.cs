using ImageCache.Core.Layers;
using LanguageExt;
using LanguageExt.ClassInstances;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests.Layers;

/// <summary>Builders for hand-written layer stacks: each entry gets a unique <see cref="DataRef"/> (layer, position).</summary>
static class LayerSupport
{
    public const int Mode644 = 0b110_100_100;
    public const int Mode755 = 0b111_101_101;
    public static readonly DateTimeOffset T1 = DateTimeOffset.UnixEpoch.AddDays(1);
    public static readonly DateTimeOffset T2 = DateTimeOffset.UnixEpoch.AddDays(2);

    public static LayerEntry File(string name, int mode = Mode644, long uid = 0, long size = 10) =>
        new() { Name = name, Kind = LayerEntryKind.File, Mode = mode, Uid = uid, Gid = uid, Size = size, ModifiedTime = T1 };

    public static LayerEntry Dir(string name, int mode = Mode755, long uid = 0, DateTimeOffset? mtime = null) =>
        new() { Name = name, Kind = LayerEntryKind.Directory, Mode = mode, Uid = uid, Gid = uid, ModifiedTime = mtime ?? T1 };

    public static LayerEntry Symlink(string name, string target) =>
        new() { Name = name, Kind = LayerEntryKind.Symlink, Mode = 0b111_111_111, LinkTarget = target, ModifiedTime = T1 };

    public static LayerEntry HardLink(string name, string target) =>
        new() { Name = name, Kind = LayerEntryKind.HardLink, Mode = Mode644, LinkTarget = target, ModifiedTime = T1 };

    public static LayerEntry Fifo(string name) =>
        new() { Name = name, Kind = LayerEntryKind.Fifo, Mode = Mode644, ModifiedTime = T1 };

    /// <summary>Whiteout markers are regular files whatever they delete.</summary>
    public static LayerEntry Marker(string name) => File(name, size: 0);

    /// <summary>The entries as layers, base first, with DataRef = (layer, index).</summary>
    public static Seq<Seq<LayerEntry>> Stack(params LayerEntry[][] layers) =>
        layers.Select((layer, l) => layer.Select((e, i) => e with { DataRef = new DataRef(l, i) }).ToSeq().Strict()).ToSeq().Strict();

    public static Fin<MergedTree> Merge(params LayerEntry[][] layers) => LayerMerge.Apply(Stack(layers), MergeOptions.AllowSetuid);

    public static MergedTree Merged(params LayerEntry[][] layers) => Succ(Merge(layers));

    /// <summary>Final entries by path.</summary>
    public static Dictionary<string, MergedEntry> ByPath(MergedTree tree) => tree.Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);

    public static string[] Paths(MergedTree tree) => tree.Entries.Map(e => e.Path).ToArray();

    public static LayerEntry[] L(params LayerEntry[] entries) => entries;

    public static Map<OrdStringOrdinal, string, byte[]> Xattr(string name, params byte[] value) =>
        Map<OrdStringOrdinal, string, byte[]>.Empty.Add(name, value);
}
