using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageCache.Contracts;

namespace ImageCache.Builders.Mke2fs;

/// <summary>
/// Writes an ext4 image with e2fsprogs, without root: stage the tree (<see cref="Stage"/>), run
/// <c>mke2fs -q -t ext4 -d STAGE</c>, then set what mke2fs cannot know from the host's <c>stat</c> — owners,
/// modes with setuid/setgid/sticky, times, xattrs, devices and FIFOs — with one <c>debugfs -w -f BATCH</c>
/// (origin-behaviour §4.11; <see cref="DebugfsQuoting"/> for the quoting).
/// </summary>
/// <remarks>
/// Inodes are addressed as <c>&lt;ino&gt;</c>: a read-only <c>ls -p</c> per directory maps every path to its inode
/// first, so the batch never looks a name up (debugfs looks names up by scanning the directory, which is quadratic in
/// a directory of 100,000 files). Reproducible: the UUID and the htree hash seed derive from the content key, every
/// inode's four times (atime, ctime, mtime, crtime, with nanoseconds) are set from the entry, and the tools' clock is
/// pinned to the root's mtime with <c>E2FSPROGS_FAKE_TIME</c>. Builder options: <c>journal=false</c> omits the journal.
/// </remarks>
[Builder("mke2fs", "ext4", RequiredTools = new[] { "mke2fs", "debugfs" }, HostOperatingSystems = new[] { "linux" },
    Description = "ext4 via mke2fs -d and a debugfs metadata pass (e2fsprogs); no root")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class Mke2fsBuilder : IFilesystemBuilder
{
    private const string DebugfsBannerPrefix = "debugfs ";
    private const int LostAndFoundInode = 11;
    private const int RootInode = 2;

    /// <inheritdoc />
    /// <exception cref="FilesystemBuildException">An option is unknown, the pinned size is too small, a name cannot be passed to debugfs, or a tool failed.</exception>
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entries);
        var journal = ParseOptions(request.Options);
        var contentBytes = Math.Max(0, request.ContentBytesHint);
        var entryCount = Math.Max(0, request.EntryCountHint);
        long size;
        if (request.SizeBytes is { } pinned)
        {
            Mke2fsSizing.CheckPinned(pinned, contentBytes, entryCount, journal);
            size = pinned / Mke2fsSizing.BlockSize * Mke2fsSizing.BlockSize;
        }
        else size = Mke2fsSizing.Automatic(contentBytes, entryCount, journal);

        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!, $".mke2fs-{Guid.NewGuid():N}");
        Libc.Mkdir(work, 0b111_000_000);
        var stage = new Stage(Path.Combine(work, "stage"));
        var completed = false;
        try
        {
            stage.Create();
            var ledger = new List<StagedEntry>();
            FilesystemEntry? root = null;
            await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (entry.Path.Length > 0) DebugfsQuoting.QuotePath(entry.Path); // refuse what debugfs cannot take before any tool runs
                else root = entry;
                await stage.AddAsync(entry, cancellationToken).ConfigureAwait(false);
                ledger.Add(new StagedEntry(entry));
                if (ledger.Count % 1000 == 0) request.Progress?.Report(new BuildProgress("staging", ledger.Count));
            }

            var clock = Math.Max(0, (root?.ModifiedTime ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture);
            var environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["E2FSPROGS_FAKE_TIME"] = clock,
                ["SOURCE_DATE_EPOCH"] = clock,
                ["MKE2FS_DEVICE_SECTSIZE"] = "512",
                ["MKE2FS_DEVICE_PHYS_SECTSIZE"] = "512",
            };

            await using (var output = new FileStream(request.OutputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                output.SetLength(size); // sparse: mke2fs takes the size from the file

            request.Progress?.Report(new BuildProgress("mke2fs", ledger.Count));
            var (uuid, hashSeed) = DeriveIdentity(request.ContentKey);
            var inodes = Mke2fsSizing.Inodes(entryCount, size);
            var mke2fs = await ToolRun.RunAsync("mke2fs",
            [
                "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256",
                "-N", inodes.ToString(CultureInfo.InvariantCulture),
                "-U", uuid,
                "-E", $"root_owner=0:0,hash_seed={hashSeed},nodiscard",
                "-O", journal ? "has_journal" : "^has_journal",
                "-d", stage.Root,
                request.OutputPath,
            ], environment, cancellationToken).ConfigureAwait(false);
            if (mke2fs.ExitCode != 0)
                throw new FilesystemBuildException($"mke2fs: mke2fs failed (exit {mke2fs.ExitCode}): {LastLine(mke2fs.Stderr + "\n" + mke2fs.Stdout)}");

            request.Progress?.Report(new BuildProgress("metadata", ledger.Count));
            var inodeOf = await MapInodesAsync(request.OutputPath, work, ledger, environment, cancellationToken).ConfigureAwait(false);
            var batch = Path.Combine(work, "metadata.debugfs");
            var values = Path.Combine(work, "xattrs");
            Libc.Mkdir(values, 0b111_000_000);
            await File.WriteAllTextAsync(batch, MetadataBatch(ledger, inodeOf, values, root), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            await RunDebugfsAsync(["-w", "-f", batch, request.OutputPath], environment, cancellationToken).ConfigureAwait(false);
            completed = true;
            return new BuildResult(new FileInfo(request.OutputPath).Length, ledger.Count);
        }
        finally
        {
            stage.Delete();
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            if (!completed) TryDelete(request.OutputPath);
        }
    }

    /// <summary><c>journal=true|false</c> (default true).</summary>
    internal static bool ParseOptions(IReadOnlyDictionary<string, string> options)
    {
        var journal = true;
        foreach (var (key, value) in options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            if (key != "journal") throw new FilesystemBuildException($"mke2fs: unknown builder option '{key}' (known: journal).");
            journal = value switch
            {
                "true" => true,
                "false" => false,
                _ => throw new FilesystemBuildException($"mke2fs: journal must be true or false, not '{value}'."),
            };
        }

        return journal;
    }

    /// <summary>UUID and hash seed (RFC 4122 version 4 layout) from the content key, so two builds are identical.</summary>
    internal static (string Uuid, string HashSeed) DeriveIdentity(string contentKey) =>
        (Uuid("imagecache/mke2fs/uuid\n" + contentKey), Uuid("imagecache/mke2fs/hash-seed\n" + contentKey));

    private static string Uuid(string seed)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(seed))[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>Every staged path's inode number, read with one read-only <c>ls -p</c> per directory.</summary>
    private static async Task<Dictionary<string, long>> MapInodesAsync(string image, string work, List<StagedEntry> ledger,
        IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var directories = ledger.Where(e => e.Entry.Kind == FilesystemEntryKind.Directory).Select(e => e.Path).ToList();
        var listing = new StringBuilder();
        foreach (var directory in directories) listing.Append("ls -p ").Append(directory.Length == 0 ? "/" : DebugfsQuoting.QuotePath(directory)).Append('\n');
        var batch = Path.Combine(work, "map.debugfs");
        await File.WriteAllTextAsync(batch, listing.ToString(), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        var stdout = await RunDebugfsAsync(["-f", batch, image], environment, cancellationToken).ConfigureAwait(false);

        var inodeOf = new Dictionary<string, long>(StringComparer.Ordinal) { [""] = RootInode };
        var section = -1;
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith("debugfs: ", StringComparison.Ordinal)) { section++; continue; }
            if (line.Length == 0 || line[0] != '/' || section < 0 || section >= directories.Count) continue;
            // /INODE/MODE/UID/GID/NAME/SIZE/ — a name never contains '/'.
            var fields = line.Split('/');
            if (fields.Length < 8) continue;
            var name = fields[5];
            if (name is "." or "..") continue;
            var parent = directories[section];
            inodeOf[parent.Length == 0 ? name : parent + "/" + name] = long.Parse(fields[1], CultureInfo.InvariantCulture);
        }

        return inodeOf;
    }

    /// <summary>The debugfs commands that give every inode its image metadata.</summary>
    internal static string MetadataBatch(IReadOnlyList<StagedEntry> ledger, IReadOnlyDictionary<string, long> inodeOf, string valuesDirectory, FilesystemEntry? root)
    {
        var script = new StringBuilder();
        var rootTime = root?.ModifiedTime ?? DateTimeOffset.UnixEpoch;
        SetTimes(script, $"<{LostAndFoundInode}>", rootTime);

        // Devices and FIFOs: the placeholder file goes, a real node takes its name (origin-behaviour §4.11.3.4).
        foreach (var special in ledger.Where(e => e.IsSpecial))
        {
            var slash = special.Path.LastIndexOf('/');
            var parent = slash < 0 ? "" : special.Path[..slash];
            var name = special.Path[(slash + 1)..];
            var node = special.Entry.Kind switch
            {
                FilesystemEntryKind.Fifo => "p",
                FilesystemEntryKind.CharacterDevice => $"c {special.Entry.DeviceMajor} {special.Entry.DeviceMinor}",
                _ => $"b {special.Entry.DeviceMajor} {special.Entry.DeviceMinor}",
            };
            script.Append("rm ").Append(DebugfsQuoting.QuotePath(special.Path)).Append('\n');
            script.Append("cd ").Append(parent.Length == 0 ? "/" : DebugfsQuoting.QuotePath(parent)).Append('\n');
            script.Append("mknod ").Append(DebugfsQuoting.Quote(name)).Append(' ').Append(node).Append('\n');
            script.Append("cd /\n");
        }

        var valueNumber = 0;
        foreach (var staged in ledger)
        {
            if (staged.Entry.Kind == FilesystemEntryKind.HardLink) continue; // the inode is its file's, already set
            string target;
            if (staged.IsSpecial) target = DebugfsQuoting.QuotePath(staged.Path);
            else if (inodeOf.TryGetValue(staged.Path, out var inode)) target = $"<{inode}>";
            else throw new FilesystemBuildException($"mke2fs: '/{staged.Path}' is missing from the image mke2fs wrote.");

            var entry = staged.Entry;
            if (entry.Uid is < 0 or > uint.MaxValue - 1 || entry.Gid is < 0 or > uint.MaxValue - 1)
                throw new FilesystemBuildException($"mke2fs: '/{entry.Path}' has owner {entry.Uid}:{entry.Gid}; ext4 holds ids 0 to 4294967294.");
            script.Append("set_inode_field ").Append(target).Append(" uid ").Append(entry.Uid.ToString(CultureInfo.InvariantCulture)).Append('\n');
            script.Append("set_inode_field ").Append(target).Append(" gid ").Append(entry.Gid.ToString(CultureInfo.InvariantCulture)).Append('\n');
            script.Append("set_inode_field ").Append(target).Append(" mode 0").Append(Convert.ToString(staged.InodeMode, 8)).Append('\n');
            SetTimes(script, target, entry.ModifiedTime);
            foreach (var (name, value) in entry.Xattrs.OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                var valueFile = Path.Combine(valuesDirectory, (valueNumber++).ToString(CultureInfo.InvariantCulture));
                File.WriteAllBytes(valueFile, value);
                script.Append("ea_set -f ").Append(DebugfsQuoting.Quote(valueFile)).Append(' ').Append(target).Append(' ').Append(DebugfsQuoting.Quote(name)).Append('\n');
            }
        }

        return script.ToString();
    }

    /// <summary>atime, ctime, mtime and crtime all set to the entry's time, nanoseconds in the <c>_extra</c> fields (ns &lt;&lt; 2 | epoch bits).</summary>
    private static void SetTimes(StringBuilder script, string target, DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.Max(0, Math.Min(ticks / TimeSpan.TicksPerSecond, (1L << 34) - 1));
        var nanoseconds = ticks < 0 ? 0 : ticks % TimeSpan.TicksPerSecond * 100;
        var epochBits = ((seconds - (int)seconds) >> 32) & 3;
        var extra = (nanoseconds << 2) | epochBits;
        foreach (var field in (ReadOnlySpan<string>)["atime", "ctime", "mtime", "crtime"])
        {
            script.Append("set_inode_field ").Append(target).Append(' ').Append(field).Append(" @").Append(seconds.ToString(CultureInfo.InvariantCulture)).Append('\n');
            script.Append("set_inode_field ").Append(target).Append(' ').Append(field).Append("_extra ").Append(extra.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    /// <summary>Runs debugfs; any error line it prints (it exits 0 after a failed command in a batch) fails the build.</summary>
    private static async Task<string> RunDebugfsAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var result = await ToolRun.RunAsync("debugfs", arguments, environment, cancellationToken).ConfigureAwait(false);
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith(DebugfsBannerPrefix, StringComparison.Ordinal)).ToList();
        if (result.ExitCode != 0 || errors.Count > 0)
            throw new FilesystemBuildException($"mke2fs: debugfs failed (exit {result.ExitCode}): {(errors.Count > 0 ? errors[0] : LastLine(result.Stdout))}");
        return result.Stdout;
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
