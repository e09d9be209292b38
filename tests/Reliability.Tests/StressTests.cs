using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// Sixteen real <c>imagecache</c> processes at once on one state directory, for a bounded time (CI ~35 s,
/// soak 10 min), each running a random mix of pull (several images, some identical under two references), tag,
/// rm, rm --purge, prune and verify. Every process's outcome is tracked; afterwards the invariants hold
/// (<see cref="Invariants.CheckAllAsync"/>) and no tag whose creation succeeded and that was not removed is missing.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class StressTests(ITestOutputHelper output) : IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    enum Op { Pull, Tag, Remove, RemovePurge, Prune, Verify }

    static readonly Op[] Mix = [Op.Pull, Op.Pull, Op.Pull, Op.Tag, Op.Tag, Op.Tag, Op.Remove, Op.RemovePurge, Op.RemovePurge, Op.Prune, Op.Verify];

    /// <summary>A failure another process's work explains: the source of a tag or rm was removed meanwhile, or verify read a record just before its removal.</summary>
    static bool Benign(Op op, CliResult result) =>
        result.ExitCode == 1 && result.Error.StartsWith("error: ", StringComparison.Ordinal) && !result.Error.Contains("internal error", StringComparison.Ordinal) &&
        (op is Op.Tag or Op.RemovePurge && result.Error.Contains("not found", StringComparison.Ordinal)
         || op is Op.Verify && result.Out.Contains("does not exist", StringComparison.Ordinal));

    [Fact]
    public async Task Sixteen_processes_running_a_random_mix_lose_nothing_and_leave_a_consistent_store()
    {
        const int lanes = 16;
        var duration = TimeSpan.FromSeconds(Soak.Pick(35, 600));
        var seed = Soak.Seed();
        var sources = TestImages.Write(sandbox.Inputs, distinct: 3);
        // Records of oci: pulls are named by their source, which tag and rm do not take as a reference (only registry
        // names, digests): tags name an image by its digest, and rm --purge aims at shared names (local/srcN:v) that
        // tag ops re-create now and then, or at a lane's own tags.
        var digests = new List<string>();
        foreach (var source in sources.Take(3))
        {
            var pulled = await sandbox.RunAsync("--json", "pull", source);
            Assert.True(pulled.ExitCode == 0, pulled.ToString());
            digests.Add(System.Text.Json.Nodes.JsonNode.Parse(pulled.Out)!["digest"]!.GetValue<string>());
        }

        var confirmed = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var unexpected = new ConcurrentQueue<string>();
        var deadline = Stopwatch.StartNew();

        async Task Lane(int lane)
        {
            var random = new Random(seed + lane);
            var mine = new List<string>();
            for (var n = 0; deadline.Elapsed < duration; n++)
            {
                var op = Mix[random.Next(Mix.Length)];
                string[] args;
                string? tag = null;
                switch (op)
                {
                    case Op.Pull: args = ["-q", "pull", sources[random.Next(sources.Length)]]; break;
                    case Op.Tag:
                        tag = random.Next(4) == 0 ? null : $"local/l{lane}:t{n}";
                        args = ["-q", "tag", random.Next(3) == 0 && mine.Count > 0 ? mine[random.Next(mine.Count)] : digests[random.Next(digests.Count)],
                            tag ?? $"local/src{random.Next(digests.Count)}:v"];
                        break;
                    case Op.Remove:
                        if (mine.Count == 0) continue;
                        tag = mine[random.Next(mine.Count)];
                        args = ["-q", "rm", tag];
                        break;
                    case Op.RemovePurge:
                        // Half the time a pulled reference other processes may also remove or tag from; else one of this lane's tags.
                        tag = mine.Count > 0 && random.Next(2) == 0 ? mine[random.Next(mine.Count)] : null;
                        args = ["-q", "rm", "--purge", "--yes", tag ?? $"local/src{random.Next(digests.Count)}:v"];
                        break;
                    case Op.Prune: args = ["-q", "prune"]; break;
                    default: args = ["verify"]; break;
                }
                var result = await sandbox.RunAsync(args);
                var name = op.ToString();
                if (result.ExitCode == 0)
                {
                    counts.AddOrUpdate(name + " ok", 1, (_, c) => c + 1);
                    if (op == Op.Tag && tag is not null) { mine.Add(tag); confirmed[tag] = 0; }
                    if (op is Op.Remove or Op.RemovePurge && tag is not null) { mine.Remove(tag); confirmed.TryRemove(tag, out _); }
                }
                else if (Benign(op, result) && !(op is Op.Remove or Op.RemovePurge && tag is not null))
                    counts.AddOrUpdate(name + " refused (its name was removed meanwhile)", 1, (_, c) => c + 1);
                else
                    unexpected.Enqueue($"lane {lane}: imagecache {string.Join(' ', args)} → {result}");
            }
        }

        await Task.WhenAll(Enumerable.Range(1, lanes).Select(lane => Task.Run(() => Lane(lane))));
        var elapsed = deadline.Elapsed;

        var total = counts.Values.Sum();
        output.WriteLine($"seed {seed}; {lanes} processes for {elapsed.TotalSeconds:0} s; {total} commands: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}; {confirmed.Count} tags alive; unexpected failures {unexpected.Count}");
        Assert.True(unexpected.IsEmpty, $"seed {seed}: {unexpected.Count} commands failed unexpectedly:\n{string.Join("\n", unexpected.Take(10))}");
        Assert.True(counts.GetValueOrDefault("Pull ok") > 0 && counts.GetValueOrDefault("Tag ok") > 0, "too few commands ran to mean anything");
        await Invariants.CheckAllAsync(sandbox, confirmed.Keys, $"after the stress run (seed {seed})");
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.HostTemp));
    }
}
