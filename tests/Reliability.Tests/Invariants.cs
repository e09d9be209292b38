using System.Security.Cryptography;
using System.Text.Json;
using ImageCache.Core;
using ImageCache.Host.Storage;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// What must hold of a state directory after any mix of commands, concurrent or killed (issue 7): the index parses;
/// every record's file exists and <c>imagecache verify</c> passes; no confirmed tag is missing; every blob a record's
/// image needs is in the blob store with the right content; store files no record references are only those a
/// killed pull could leave, and the next <c>prune --purge</c> with a policy that keeps every record collects them.
/// </summary>
internal static class Invariants
{
    /// <summary>Checks the index and the blob store in-process (no lock: callers run this when no command is running).</summary>
    public static ImageIndex CheckIndexAndBlobs(string state, IEnumerable<string> confirmedTags, string context)
    {
        var layout = StateLayout.For(state);
        ImageIndex index;
        try { index = new IndexStore(layout).Read(); }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{context}: the index does not parse: {e.Message}"); }

        var refs = index.Images.Map(r => r.ImageRef).ToHashSet();
        var lost = confirmedTags.Where(t => !refs.Contains(t)).ToArray();
        Assert.True(lost.Length == 0, $"{context}: tags created and not removed are missing: {string.Join(", ", lost.Take(20))}");

        foreach (var record in index.Images)
        {
            Assert.True(File.Exists(record.OutputPath), $"{context}: {record.ImageRef} points at {record.OutputPath}, which does not exist");
            var blobs = Path.Combine(layout.OciDir, "blobs", "sha256");
            var manifest = BlobBytes(blobs, record.Digest, $"{context}: the manifest of {record.ImageRef}");
            using var json = JsonDocument.Parse(manifest);
            BlobBytes(blobs, json.RootElement.GetProperty("config").GetProperty("digest").GetString()!, $"{context}: the config of {record.ImageRef}");
            foreach (var layer in json.RootElement.GetProperty("layers").EnumerateArray())
                BlobBytes(blobs, layer.GetProperty("digest").GetString()!, $"{context}: a layer of {record.ImageRef}");
        }
        return index;
    }

    static byte[] BlobBytes(string blobs, string digest, string what)
    {
        Assert.StartsWith("sha256:", digest);
        var path = Path.Combine(blobs, digest[7..]);
        Assert.True(File.Exists(path), $"{what} ({digest}) is missing from the blob store");
        var bytes = File.ReadAllBytes(path);
        Assert.True("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)) == digest, $"{what} ({digest}) has the wrong content in the blob store");
        return bytes;
    }

    /// <summary>Store files no record references.</summary>
    public static string[] Unreferenced(string state, ImageIndex index)
    {
        var rootfs = StateLayout.For(state).RootfsDir;
        if (!Directory.Exists(rootfs)) return [];
        var referenced = index.Images.Map(r => r.OutputPath).ToHashSet();
        return Directory.EnumerateFileSystemEntries(rootfs).Where(p => !referenced.Contains(p)).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The full check through the CLI: <c>verify</c> passes; then <c>prune --purge --keep-last 1000000 --yes</c> keeps
    /// every record and leaves no unreferenced store file; then temp litter is gone (see <see cref="AssertNoStaleTemps"/>).
    /// </summary>
    public static async Task CheckAllAsync(Sandbox sandbox, IEnumerable<string> confirmedTags, string context)
    {
        var tags = confirmedTags.ToArray();
        var index = CheckIndexAndBlobs(sandbox.State, tags, context);
        if (index.Images.Count > 0)
        {
            var verify = await sandbox.RunAsync("verify");
            Assert.True(verify.ExitCode == 0, $"{context}: verify failed: {verify}");
        }
        var records = index.Images.Map(r => (r.ImageRef, r.Platform.ToString())).ToHashSet();
        var prune = await sandbox.RunAsync("prune", "--purge", "--keep-last", "1000000", "--yes");
        Assert.True(prune.ExitCode == 0, $"{context}: prune failed: {prune}");
        var after = CheckIndexAndBlobs(sandbox.State, tags, context + ", after prune");
        Assert.True(records.SetEquals(after.Images.Map(r => (r.ImageRef, r.Platform.ToString()))), $"{context}: a prune that keeps every record changed the records");
        var left = Unreferenced(sandbox.State, after);
        Assert.True(left.Length == 0, $"{context}: prune --purge left unreferenced store files: {string.Join(", ", left)}");
        AssertNoStaleTemps(sandbox.State, context + ", after prune");
    }

    /// <summary>
    /// No temp litter of dead processes: no <c>tmp/</c> entry whose owner lock is free (an entry without a lock file
    /// is allowed for its first minute: its creator may be between mkdir and lock), no index temp file in
    /// <c>images/</c> or <c>oci/</c>. Blob-ingest <c>.partial</c> files are kept for the blob grace period by design and
    /// are not counted here; <see cref="PartialBlobs"/> reports them.
    /// </summary>
    public static void AssertNoStaleTemps(string state, string context)
    {
        var layout = StateLayout.For(state);
        if (Directory.Exists(layout.TmpDir))
            foreach (var entry in Directory.EnumerateFileSystemEntries(layout.TmpDir))
            {
                var lockFile = Path.Combine(entry, ".owner.lock");
                if (!File.Exists(lockFile))
                {
                    Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(entry) < TimeSpan.FromMinutes(1), $"{context}: stale temp entry without a lock: {entry}");
                    continue;
                }
                using var held = FileLock.TryAcquire(lockFile, create: false);
                Assert.True(held is null, $"{context}: stale temp directory of a dead process left behind: {entry}");
            }
        foreach (var dir in new[] { layout.ImagesDir, layout.OciDir })
            if (Directory.Exists(dir))
            {
                var temps = Directory.EnumerateFiles(dir, ".index.json.tmp-*").ToArray();
                Assert.True(temps.Length == 0, $"{context}: index temp files left behind: {string.Join(", ", temps)}");
            }
    }

    public static int PartialBlobs(string state)
    {
        var ingest = Path.Combine(StateLayout.For(state).OciDir, "ingest");
        return Directory.Exists(ingest) ? Directory.EnumerateFiles(ingest).Count() : 0;
    }
}
