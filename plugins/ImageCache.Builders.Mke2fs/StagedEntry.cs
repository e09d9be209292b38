using ImageCache.Contracts;

namespace ImageCache.Builders.Mke2fs;

/// <summary>What the debugfs pass must set on one staged path (the ledger): everything mke2fs cannot take from the host's <c>stat</c>.</summary>
/// <param name="Entry">The entry as the host gave it (its data stream already consumed).</param>
internal sealed record StagedEntry(FilesystemEntry Entry)
{
    public string Path => Entry.Path;

    /// <summary>Devices and FIFOs are staged as empty placeholder files; debugfs replaces them with real nodes.</summary>
    public bool IsSpecial => Entry.Kind is FilesystemEntryKind.CharacterDevice or FilesystemEntryKind.BlockDevice or FilesystemEntryKind.Fifo;

    /// <summary>The ext4 <c>i_mode</c>: file type bits and the permission bits (07777).</summary>
    public int InodeMode => (Entry.Kind switch
    {
        FilesystemEntryKind.RegularFile or FilesystemEntryKind.HardLink => 0x8000,
        FilesystemEntryKind.Directory => 0x4000,
        FilesystemEntryKind.SymbolicLink => 0xA000,
        FilesystemEntryKind.CharacterDevice => 0x2000,
        FilesystemEntryKind.BlockDevice => 0x6000,
        FilesystemEntryKind.Fifo => 0x1000,
        _ => throw new FilesystemBuildException($"mke2fs: '/{Entry.Path}' has an unknown kind {Entry.Kind}."),
    }) | (Entry.Mode & 0xFFF);
}
