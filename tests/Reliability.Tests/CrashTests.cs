using System.Diagnostics;
using Xunit.Abstractions;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// SIGKILL of <c>imagecache</c> at random moments of pull, tag, rm --purge and prune (30 kills in CI, 200 in soak).
/// After each kill: the index parses, every record's file and blobs are there, no confirmed tag is missing, and the
/// same command run again succeeds with no manual repair. Every fifth kill and after the last one, the full check
/// through the CLI also runs (verify, an orphan-collecting prune, no stale temp files).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    enum Op { Pull, Tag, RemovePurge, Prune }

    [Fact]
    public async Task Killing_commands_at_random_moments_loses_nothing_and_the_next_command_needs_no_repair()
    {
        var killsWanted = Soak.Pick(30, 200);
        var seed = Soak.Seed();
        var random = new Random(seed);
        var sources = TestImages.Write(sandbox.Inputs, distinct: 2, filesEach: 200);
        var confirmed = new HashSet<string>(StringComparer.Ordinal);
        var typical = new Dictionary<Op, TimeSpan>();
        var killsPerOp = new Dictionary<Op, int>();
        var completedPerOp = new Dictionary<Op, int>();
        var digests = new List<string>();

        string[] ArgsFor(Op op, int n) => op switch
        {
            // A --size-mib of its own gives most pulls a new content key, so they build (the longest path) instead of reusing.
            Op.Pull => ["-q", "pull", "--size-mib", (8 + n % 24).ToString(System.Globalization.CultureInfo.InvariantCulture), sources[n % sources.Length]],
            Op.Tag => ["-q", "tag", digests[0], $"local/k:t{n}"],
            Op.RemovePurge => ["-q", "rm", "--purge", "--yes", RemovalTarget()],
            _ => n % 2 == 0 ? ["-q", "prune"] : ["-q", "prune", "--purge", "--keep-last", "1000000", "--yes"],
        };
        string RemovalTarget()
        {
            // A confirmed tag (of image 0), or image 1 by digest: every name of it, and its baselines.
            var tags = confirmed.ToArray();
            return tags.Length > 0 && random.Next(2) == 0 ? tags[random.Next(tags.Length)] : digests[1];
        }

        // Records of oci: pulls are named by their source, which tag and rm do not take as a reference: both name
        // images by digest here. Then calibrate each command's duration on this machine.
        foreach (var source in sources.Take(2))
        {
            var pulled = await sandbox.RunAsync("--json", "pull", source);
            Assert.True(pulled.ExitCode == 0, pulled.ToString());
            digests.Add(System.Text.Json.Nodes.JsonNode.Parse(pulled.Out)!["digest"]!.GetValue<string>());
        }
        foreach (var op in Enum.GetValues<Op>())
        {
            var clock = Stopwatch.StartNew();
            var result = await sandbox.RunAsync(op == Op.RemovePurge ? ["-q", "rm", "--purge", "--yes", digests[1]] : ArgsFor(op, op == Op.Pull ? 0 : 1000 + (int)op));
            typical[op] = clock.Elapsed;
            Assert.True(result.ExitCode == 0, $"calibrating {op}: {result}");
            if (op == Op.Tag) confirmed.Add($"local/k:t{1000 + (int)op}");
        }

        var kills = 0;
        var checks = 0;
        for (var n = 1; kills < killsWanted; n++)
        {
            // Pulls have the most moments worth hitting (fetch, spool, build, seal, publish): two in five commands.
            var op = random.Next(5) < 2 ? Op.Pull : (Op)random.Next(1, 4);
            var args = ArgsFor(op, n);
            var delay = typical[op] * (0.05 + random.NextDouble() * (op == Op.Pull ? 0.9 : 1.2));
            using var running = new Cli.Running(Cli.StartInfo(sandbox.State, sandbox.HostTemp, args));
            if (await running.WaitAsync(delay))
            {
                var done = await running.ResultAsync();
                var acceptable = done.ExitCode == 0 || op == Op.RemovePurge && done.Error.Contains("not found", StringComparison.Ordinal);
                Assert.True(acceptable, $"seed {seed}: imagecache {string.Join(' ', args)} failed: {done}");
                completedPerOp[op] = completedPerOp.GetValueOrDefault(op) + 1;
                if (done.ExitCode == 0 && op == Op.Tag) confirmed.Add(args[^1]);
                if (done.ExitCode == 0 && op == Op.RemovePurge) confirmed.Remove(args[^1]);
                continue;
            }
            await running.KillAsync();
            kills++;
            killsPerOp[op] = killsPerOp.GetValueOrDefault(op) + 1;
            var context = $"seed {seed}, kill {kills} of imagecache {string.Join(' ', args)} after {delay.TotalMilliseconds:0} ms";
            if (op == Op.RemovePurge) confirmed.Remove(args[^1]); // it may or may not have happened
            Invariants.CheckIndexAndBlobs(sandbox.State, confirmed, context);

            // The same command again: succeeds without repair (a removal the killed run finished finds nothing to remove).
            var again = await sandbox.RunAsync(args);
            var ok = again.ExitCode == 0 || op == Op.RemovePurge && again.Error.Contains("not found", StringComparison.Ordinal);
            Assert.True(ok, $"{context}: running it again failed: {again}");
            if (op == Op.Tag) confirmed.Add(args[^1]);
            Invariants.CheckIndexAndBlobs(sandbox.State, confirmed, context + ", after running it again");
            if (kills % 5 == 0 || kills == killsWanted)
            {
                await Invariants.CheckAllAsync(sandbox, confirmed, context);
                checks++;
            }
        }
        output.WriteLine($"seed {seed}; {kills} kills ({string.Join(", ", killsPerOp.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}); "
                         + $"completed before their kill time: {string.Join(", ", completedPerOp.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}; "
                         + $"typical ms: {string.Join(", ", typical.Select(t => $"{t.Key} {t.Value.TotalMilliseconds:0}"))}; full checks {checks}; "
                         + $"ingest partials kept for the blob grace period: {Invariants.PartialBlobs(sandbox.State)}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.HostTemp));
    }

    /// <summary>
    /// Found by the crash test (seed 11695998, a kill during a tag's pull-time layout write): the blob store's
    /// <c>oci/.index.json.tmp-*</c> of a killed writer was never removed. The next prune (or pull) removes it.
    /// </summary>
    [Fact]
    public async Task A_blob_store_index_temp_file_of_a_killed_writer_is_removed_by_the_next_prune()
    {
        var sources = TestImages.Write(sandbox.Inputs, distinct: 1);
        Assert.Equal(0, (await sandbox.RunAsync("-q", "pull", sources[0])).ExitCode);
        var stale = Path.Combine(sandbox.State, "oci", ".index.json.tmp-999999-0123456789abcdef0123456789abcdef");
        await File.WriteAllTextAsync(stale, "{\"half\":");
        var prune = await sandbox.RunAsync("-q", "prune");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.False(File.Exists(stale), "prune left the killed writer's temp file");
        Invariants.AssertNoStaleTemps(sandbox.State, "after prune");
    }
}
