namespace ImageCache.Contracts;

/// <summary>The kind of a filesystem entry.</summary>
public enum FilesystemEntryKind
{
    /// <summary>A regular file with data.</summary>
    RegularFile,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link; the target is in <see cref="FilesystemEntry.LinkTarget"/>.</summary>
    SymbolicLink,
    /// <summary>A hard link to the regular file at <see cref="FilesystemEntry.LinkTarget"/> (an image path).</summary>
    HardLink,
    /// <summary>A character device.</summary>
    CharacterDevice,
    /// <summary>A block device.</summary>
    BlockDevice,
    /// <summary>A named pipe.</summary>
    Fifo,
}
