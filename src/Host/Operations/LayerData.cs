using ImageCache.Core.Layers;
using ImageCache.Host.Layers;
using Microsoft.Win32.SafeHandles;

namespace ImageCache.Host.Operations;

/// <summary>
/// Where each layer entry's file data lives while a pull builds: a slice of one tar per layer — the blob itself when
/// the layer is an uncompressed tar, else the layer decompressed once into <c>spool/&lt;layer&gt;.tar</c> — rather
/// than one spool file per entry (thousands of file creations per image). Entries of layers not registered here
/// (the guest init) are read from <c>spool/&lt;layer&gt;-&lt;entry&gt;</c>.
/// </summary>
internal sealed class LayerData : IDisposable
{
    readonly Dictionary<int, (SafeFileHandle Tar, long[] Offsets)> layers = new();

    /// <summary>Registers a layer's tar (the handle is disposed with this object) and each entry's data offset in it.</summary>
    public void Add(int layer, SafeFileHandle tar, long[] offsets) => layers[layer] = (tar, offsets);

    /// <summary>Opens an entry's data for the builder.</summary>
    public Stream Open(string spool, DataRef data, long size)
    {
        if (size == 0) return Stream.Null;
        if (layers.TryGetValue(data.Layer, out var layer)) return new FileSliceStream(layer.Tar, layer.Offsets[data.Entry], size);
        return new FileStream(Path.Combine(spool, $"{data.Layer}-{data.Entry}"), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    public void Dispose()
    {
        foreach (var (tar, _) in layers.Values) tar.Dispose();
        layers.Clear();
    }
}
