using ImageCache.Contracts;
using ImageCache.Core.Layers;
using ImageCache.Host.Layers;
using LanguageExt;
using LanguageExt.ClassInstances;
using Microsoft.Win32.SafeHandles;

namespace ImageCache.Bench.Ext4;

/// <summary>
/// One uncompressed tar as one layer: headers through the Host <see cref="TarReader"/>, each file's data left in
/// the tar and read from its offset when the builder opens it (no spool copy).
/// </summary>
internal static class TarIndex
{
    public static async Task<(Seq<LayerEntry> Layer, long[] Offsets)> ReadAsync(string tarPath)
    {
        var entries = new List<LayerEntry>();
        var offsets = new List<long>();
        await using var archive = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        await using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var header = entry.Header;
            offsets.Add(archive.Position); // the reader reads whole 512-byte blocks: the data starts here
            var xattrs = Map<OrdStringOrdinal, string, byte[]>.Empty;
            foreach (var (key, value) in header.Xattrs) xattrs = xattrs.AddOrUpdate(key, value);
            entries.Add(new LayerEntry
            {
                Name = header.Name,
                Kind = header.Kind switch
                {
                    TarEntryKind.RegularFile => LayerEntryKind.File,
                    TarEntryKind.Directory => LayerEntryKind.Directory,
                    TarEntryKind.SymbolicLink => LayerEntryKind.Symlink,
                    TarEntryKind.HardLink => LayerEntryKind.HardLink,
                    TarEntryKind.CharacterDevice => LayerEntryKind.CharDevice,
                    TarEntryKind.BlockDevice => LayerEntryKind.BlockDevice,
                    TarEntryKind.Fifo => LayerEntryKind.Fifo,
                    _ => throw new InvalidDataException($"unsupported entry type {header.Kind} for {header.Name}"),
                },
                Mode = header.Mode,
                Uid = header.Uid,
                Gid = header.Gid,
                ModifiedTime = header.ModifiedTime,
                Xattrs = xattrs,
                LinkTarget = header.LinkName,
                DeviceMajor = header.DevMajor,
                DeviceMinor = header.DevMinor,
                Size = header.Kind == TarEntryKind.RegularFile ? header.Size : 0,
                DataRef = new DataRef(0, entries.Count),
            });
        }

        return (Prelude.toSeq(entries.ToArray()), offsets.ToArray());
    }

    public static async IAsyncEnumerable<FilesystemEntry> Entries(MergedTree tree, SafeFileHandle tar, long[] offsets)
    {
        foreach (var entry in tree.Entries)
        {
            await Task.CompletedTask.ConfigureAwait(false);
            var xattrs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (key, value) in entry.Xattrs) xattrs[key] = value;
            var kind = entry.Kind switch
            {
                LayerEntryKind.File => FilesystemEntryKind.RegularFile,
                LayerEntryKind.Directory => FilesystemEntryKind.Directory,
                LayerEntryKind.Symlink => FilesystemEntryKind.SymbolicLink,
                LayerEntryKind.HardLink => FilesystemEntryKind.HardLink,
                LayerEntryKind.CharDevice => FilesystemEntryKind.CharacterDevice,
                LayerEntryKind.BlockDevice => FilesystemEntryKind.BlockDevice,
                _ => FilesystemEntryKind.Fifo,
            };
            Func<CancellationToken, ValueTask<Stream>>? open = null;
            if (kind == FilesystemEntryKind.RegularFile)
            {
                var offset = offsets[entry.DataRef.Entry];
                var size = entry.Size;
                open = _ => ValueTask.FromResult<Stream>(new FileSliceStream(tar, offset, size));
            }

            yield return new FilesystemEntry(entry.Path == PathRules.Root ? "" : entry.Path, kind, entry.Mode, entry.Uid, entry.Gid, entry.ModifiedTime, xattrs,
                entry.LinkTarget.Length > 0 ? entry.LinkTarget : null, (int)entry.DeviceMajor, (int)entry.DeviceMinor, entry.Size, open);
        }
    }
}
