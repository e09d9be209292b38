using System.Diagnostics;
using ImageCache.Core;
using ImageCache.Host.Storage;
using LanguageExt;
using static LanguageExt.Prelude;

namespace ImageCache.Cli.Tests;

/// <summary>Many real <c>imagecache</c> processes against one index: no update is lost, and a killed writer never corrupts it.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ConcurrencyTests : IDisposable
{
    readonly CliSandbox sandbox = new CliSandbox().WithGoState();

    public void Dispose() => sandbox.Dispose();

    IndexStore Store => new(StateLayout.For(sandbox.State));

    [Fact]
    public async Task Eight_processes_tagging_at_once_lose_no_tag()
    {
        const int processes = 8, tagsEach = 25;
        // Each shell is one process running its 25 tag commands one after another; all eight start together.
        const string script = """
            i=1
            while [ "$i" -le "$TAGS" ]; do
              "$DOTNET_HOST" "$IMAGECACHE_DLL" --state-dir "$STATE" -q tag busybox "local/p$LANE:t$i" >/dev/null || { echo "tag local/p$LANE:t$i failed" >&2; exit 1; }
              i=$((i + 1))
            done
            """;
        var dll = CliProcess.DllPath;
        var shells = Enumerable.Range(1, processes).Select(lane =>
        {
            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            info.Environment["DOTNET_HOST"] = CliProcess.DotnetHost;
            info.Environment["IMAGECACHE_DLL"] = dll;
            info.Environment["STATE"] = sandbox.State;
            info.Environment["LANE"] = lane.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["TAGS"] = tagsEach.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Process.Start(info)!;
        }).ToArray();
        try
        {
            var errors = shells.Select(s => s.StandardError.ReadToEndAsync()).ToArray();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await Task.WhenAll(shells.Select(s => s.WaitForExitAsync(timeout.Token)));
            for (var i = 0; i < processes; i++)
                Assert.True(shells[i].ExitCode == 0, $"process {i + 1} failed: {await errors[i]}");
        }
        finally
        {
            foreach (var shell in shells)
            {
                if (!shell.HasExited) { shell.Kill(entireProcessTree: true); shell.WaitForExit(); }
                shell.Dispose();
            }
        }

        var refs = Store.Read().Images.Map(r => r.ImageRef).ToHashSet();
        var expected = from lane in Enumerable.Range(1, processes) from tag in Enumerable.Range(1, tagsEach) select $"local/p{lane}:t{tag}";
        var lost = expected.Where(r => !refs.Contains(r)).ToArray();
        Assert.True(lost.Length == 0, $"{lost.Length} tags were lost: {string.Join(", ", lost.Take(20))}");
        Assert.Contains("busybox", refs);
        Assert.Equal(processes * tagsEach + 3, refs.Count);
    }

    /// <summary>An index of <paramref name="count"/> plausible records besides the Go fixture's, so every write takes a while.</summary>
    void GrowIndex(int count)
    {
        var index = Store.Read();
        var extra = Enumerable.Range(0, count).Select(i =>
        {
            var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            return new ImageRecord
            {
                ImageRef = $"registry.example.com/team{i % 40}/service{i}:v{i % 7}",
                ResolvedRef = $"registry.example.com/team{i % 40}/service{i}@{digest}",
                Digest = digest,
                Platform = new Platform("linux", i % 2 == 0 ? "amd64" : "arm64"),
                OutputPath = Path.Combine(sandbox.RootfsDir, $"{digest[7..31]}.ext4"),
                SizeBytes = 100_000_000 + i,
                LastUsedAt = Some(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i)),
                RootfsSha256 = digest[7..],
                RootfsImmutable = true,
                SetuidPolicy = "stripped",
                ImageEnv = Seq("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", $"SERVICE_ID={i}"),
                ImageCmd = Seq("/usr/bin/service", "--serve"),
            };
        }).ToSeq();
        Store.Write(new ImageIndex(index.Images.Concat(extra)).Sorted());
    }

    [Fact]
    public async Task Killing_writers_at_random_moments_never_corrupts_the_index_or_loses_a_finished_tag()
    {
        const int killsWanted = 30, lanes = 2;
        GrowIndex(3000);
        var confirmed = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);

        // How long one tag takes here, so kills land anywhere from start-up to the rename.
        var clock = Stopwatch.StartNew();
        var calibration = await CliProcess.RunAsync("--state-dir", sandbox.State, "-q", "tag", "busybox", "local/kill:calibration");
        var typical = clock.Elapsed;
        Assert.True(calibration.ExitCode == 0, calibration.ToString());
        confirmed.Add("local/kill:calibration");

        var seed = Environment.TickCount;
        var random = new Random(seed);
        var kills = 0;
        var killedDuring = new List<string>();
        var sync = new object();

        void CheckIndex(string after)
        {
            string[] mustExist;
            lock (sync) mustExist = confirmed.ToArray(); // taken before reading: each of these finished its rename already
            ImageIndex index;
            try { index = Store.Read(); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"the index does not parse after {after} (seed {seed}): {e.Message}"); }
            var refs = index.Images.Map(r => r.ImageRef).ToHashSet();
            var lost = mustExist.Where(r => !refs.Contains(r)).ToArray();
            Assert.True(lost.Length == 0, $"after {after} (seed {seed}) tags whose command exited 0 are missing: {string.Join(", ", lost)}");
            Assert.True(index.Images.Count >= 3003, $"after {after} (seed {seed}) the index has only {index.Images.Count} records");
        }

        async Task Lane(int lane)
        {
            for (var n = 1; Volatile.Read(ref kills) < killsWanted; n++)
            {
                var target = $"local/kill:{lane}-{n}";
                TimeSpan wait;
                lock (sync) wait = typical * (0.1 + random.NextDouble() * 1.2);
                using var running = new CliProcess.Running(new[] { "--state-dir", sandbox.State, "-q", "tag", "busybox", target });
                if (await running.WaitAsync(wait))
                {
                    var result = await running.ResultAsync();
                    Assert.True(result.ExitCode == 0, $"{target} failed (seed {seed}): {result}");
                    lock (sync) confirmed.Add(target);
                    continue;
                }
                await running.KillAsync();
                Interlocked.Increment(ref kills);
                lock (sync) killedDuring.Add($"{target}@{wait.TotalMilliseconds:0}ms");
                CheckIndex($"killing {target} after {wait.TotalMilliseconds:0} ms");
            }
        }

        await Task.WhenAll(Enumerable.Range(1, lanes).Select(lane => Task.Run(() => Lane(lane))));

        Assert.True(kills >= killsWanted, $"only {kills} kills happened");
        CheckIndex("the last kill");
        if (File.Exists(StateLayout.For(sandbox.State).IndexBackupFile))
            IndexJson.Deserialize(File.ReadAllBytes(StateLayout.For(sandbox.State).IndexBackupFile)); // the backup is a whole index too

        var list = await CliProcess.RunAsync("--state-dir", sandbox.State, "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("local/kill:calibration", list.Out);
        var json = await CliProcess.RunAsync("--state-dir", sandbox.State, "--json", "list");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(json.Out);
        var listed = document.RootElement.GetProperty("images").EnumerateArray().Select(r => r.GetProperty("image_ref").GetString()).ToHashSet();
        Assert.All(confirmed, tag => Assert.Contains(tag, listed));
    }
}
