namespace ImageCache.Core.Layers;

/// <summary>
/// Opaque pointer the Host attaches to an entry so a builder can find the entry's bytes later: the layer
/// (0-based, base first) and the entry's position in that layer's tar. The merge only carries it along.
/// </summary>
/// <param name="Layer">Layer index, 0 = base.</param>
/// <param name="Entry">Entry index inside the layer's tar.</param>
public readonly record struct DataRef(int Layer, int Entry)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Layer}:{Entry}";
}
