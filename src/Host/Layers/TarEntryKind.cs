namespace ImageCache.Host.Layers;

/// <summary>
/// What a tar entry describes. Only the kinds a root filesystem can hold are exposed; the meta entries (PAX 'x' and
/// 'g', GNU 'L' and 'K') are consumed by <see cref="TarReader"/> and never reach the caller.
/// </summary>
public enum TarEntryKind
{
    /// <summary>Typeflag '0', the old '\0' (v7) and '7' (contiguous file, which POSIX says to treat as regular).</summary>
    RegularFile,

    /// <summary>Typeflag '1': <see cref="TarEntryHeader.LinkName"/> names an earlier entry of the same archive.</summary>
    HardLink,

    /// <summary>Typeflag '2'.</summary>
    SymbolicLink,

    /// <summary>Typeflag '3'.</summary>
    CharacterDevice,

    /// <summary>Typeflag '4'.</summary>
    BlockDevice,

    /// <summary>Typeflag '5', and a v7 '\0' entry whose name ends in '/'.</summary>
    Directory,

    /// <summary>Typeflag '6'.</summary>
    Fifo,
}
