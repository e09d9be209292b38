using ImageCache.Core;
using LanguageExt;
using LanguageExt.ClassInstances;
using static LanguageExt.Prelude;

namespace ImageCache.Host.Storage;

/// <summary>
/// Runs the index's code once, on a made-up two-record index, on a background thread: the checksummed write, the
/// line scanner, a deferred record's decode, the full reader, and the reducer's tag and touch. A CLI process loads
/// and compiles that code the first time it runs it (LanguageExt's generic types have no ReadyToRun code): in a
/// <c>tag</c> the first record decode cost ~9 ms and the first record encode ~9 ms, on the one thread that also
/// reads and scans the file. Started when a command first needs the index, it does that work on the second core
/// while the command takes the lock and reads; the command then finds the code ready. It touches no file and no
/// shared state, and its outcome is thrown away; on a single core it does nothing (it would only compete).
/// </summary>
public static class IndexCodeWarmup
{
    static int started;

    /// <summary>Starts the warm-up once per process (later calls do nothing).</summary>
    public static void Start()
    {
        if (Environment.ProcessorCount < 2 || Interlocked.Exchange(ref started, 1) != 0) return;
        new Thread(Run) { IsBackground = true, Name = "index warm-up" }.Start();
    }

    static void Run()
    {
        try { _ = Exercise(); }
        catch (Exception) { } // a warm-up has no outcome: whatever went wrong, the command itself will meet and report
    }

    /// <summary>The work itself; true when every step ran (the tests also compare what each step gave).</summary>
    internal static bool Exercise() => Exercise(out _, out _, out _);

    /// <summary>As <see cref="Exercise()"/>, giving the made-up index, what the scanner read and what the full reader read.</summary>
    internal static bool Exercise(out ImageIndex index, out ImageIndex scanned, out ImageIndex reread)
    {
        var now = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var record = new ImageRecord
        {
            ImageRef = "warm.example/app:1", CanonicalRef = "warm.example/app:1",
            ResolvedRef = "warm.example/app@sha256:" + new string('a', 64), Digest = "sha256:" + new string('a', 64),
            Platform = new Platform("linux", "amd64", ""), OutputPath = "/nonexistent/warm.ext4", SizeBytes = 1,
            LastUsedAt = Some(now), CreatedAt = Some(now), RootfsSha256 = new string('b', 64), RootfsImmutable = true,
            SetuidPolicy = "stripped", ImageEnv = Seq1("PATH=/bin"), ImageCmd = Seq1("sh"), ImageEntrypoint = Seq1("/init"),
            ImageConfig = Some(ImageConfig.Empty with { Labels = LanguageExt.Map<OrdStringOrdinal, string, string>.Empty.Add("a", "b") }),
            Source = "warm", Format = "ext4", Builder = "ext4", ContentKey = new string('c', 64), LayerDigests = Seq1("sha256:" + new string('d', 64)),
        };
        index = new ImageIndex(Seq(record, record with { ImageRef = "warm.example/app:2", CanonicalRef = "warm.example/app:2" }));

        var file = Checksummed(index, raw: null);
        (scanned, reread) = (ImageIndex.Empty, ImageIndex.Empty);
        RawIndex? raw = null;
        if (!IndexChecksum.Holds(file, out var bodyLength) || !IndexScanner.TryScan(file, bodyLength, out scanned, out raw)) return false;
        var tagged = ImageCache.Core.Index.Reduce(scanned, new IndexCommand.Tag("warm.example/app:1", "warm.example/app:3", now));
        var touched = ImageCache.Core.Index.Reduce(scanned, new IndexCommand.Touch("warm.example/app:2", now));
        var decoded = scanned.Images.Head.SizeBytes == 1; // a deferred record's decode
        var written = 0;
        foreach (var reduction in new[] { tagged, touched })
            if (reduction.IsSucc && IndexChecksum.Holds(Checksummed(((Reduction)reduction).Index, raw), out _)) written++;
        reread = IndexJson.Deserialize(file); // the full reader (list, inspect, verify) skips the checksum member
        // Counts only: comparing the indexes (Seq equality) would start LanguageExt's ClassInstancesAssembly, a
        // reflection scan of every loaded assembly that cost a warm pull ~35 ms (the tests compare them).
        return decoded && written == 2 && reread.Images.Count == 2 && scanned.Images.Count == 2;
    }

    static byte[] Checksummed(ImageIndex index, RawIndex? raw)
    {
        using var buffer = new MemoryStream();
        IndexStore.WriteContent(index, raw, buffer);
        return buffer.ToArray();
    }
}
