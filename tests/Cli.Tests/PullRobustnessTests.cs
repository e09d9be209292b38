using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ImageCache.Cli.Tests;

/// <summary>
/// <c>imagecache pull</c> next to other processes and under signals, through real CLI processes: one build per content
/// key, parallel builds of different images, Ctrl-C/SIGTERM/SIGKILL leaving nothing behind, and the pull options
/// <c>--tag</c>, <c>--no-journal</c>, <c>--size-mib</c>, <c>-q</c> and progress on a terminal.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PullRobustnessTests : IDisposable
{
    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>The paced fixture builder (tests/Fixtures/CliPlugins/Paced), published beside the tests by the project file.</summary>
    static string FixturePluginsDir
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "fixture-plugins");
            if (!Directory.Exists(Path.Combine(dir, "ImageCache.Fixtures.Paced"))) Assert.Fail($"{dir} holds no paced fixture builder; rebuild tests/Cli.Tests");
            return dir;
        }
    }

    string BuildLog => Path.Combine(sandbox.Root, "builds.log");
    string TmpDir => Path.Combine(sandbox.State, "tmp");
    string IngestDir => Path.Combine(sandbox.State, "oci", "ingest");

    string[] Args(string layout, params string[] extra) =>
        ["--state-dir", sandbox.State, "--plugins-dir", PullTests.PluginsDir, "--plugins-dir", FixturePluginsDir, "--json", "pull", $"oci:{layout}:v1", .. extra];

    Dictionary<string, string> Paced(int delayMs) => new()
    {
        ["IMAGECACHE_TEST_BUILD_LOG"] = BuildLog,
        ["IMAGECACHE_TEST_BUILD_DELAY_MS"] = delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The paced builder's builds stay open until <see cref="ReleaseBuilds"/>, however slow the machine.</summary>
    Dictionary<string, string> PacedUntilReleased() => new(Paced(0)) { ["IMAGECACHE_TEST_BUILD_RELEASE"] = ReleaseFile };

    string ReleaseFile => Path.Combine(sandbox.Root, "release-builds");

    void ReleaseBuilds() => File.WriteAllText(ReleaseFile, "");

    /// <summary>
    /// The build log's lines. The paced builder appends under an exclusive flock (FileShare.None), and a read that
    /// meets it fails with an IOException, so a read is retried.
    /// </summary>
    string[] LogLines()
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return File.Exists(BuildLog) ? File.ReadAllLines(BuildLog) : []; }
            catch (IOException) when (attempt < 200) { Thread.Sleep(5); }
        }
    }

    Task WaitForLogAsync(Func<string[], bool> condition, string what) => WaitUntilAsync(() => condition(LogLines()), what);

    async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"timed out waiting for {what}; build log: {string.Join(" | ", LogLines())}");
            await Task.Delay(20);
        }
    }

    static string[] Entries(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFileSystemEntries(directory).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray() : [];

    string[] RecordRefs() =>
        File.Exists(sandbox.IndexFile)
            ? JsonNode.Parse(File.ReadAllText(sandbox.IndexFile))!["images"]!.AsArray().Select(r => (string)r!["image_ref"]!).ToArray()
            : [];

    /// <summary>Nothing of an interrupted pull is left: no baseline, no record, no temp directory, no half-written blob.</summary>
    void AssertNothingLeft(string context, params string[] keptRefs)
    {
        var refs = RecordRefs();
        Assert.True(refs.Order(StringComparer.Ordinal).SequenceEqual(keptRefs.Order(StringComparer.Ordinal)), $"{context}: records are [{string.Join(", ", refs)}]");
        Assert.True(Entries(TmpDir).Length == 0, $"{context}: tmp/ holds {string.Join(", ", Entries(TmpDir))}");
        Assert.True(Entries(IngestDir).Length == 0, $"{context}: oci/ingest/ holds {string.Join(", ", Entries(IngestDir))}");
    }

    [Fact]
    public async Task Two_processes_pulling_the_same_image_build_it_once_and_the_second_waits_and_reuses_it()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "same"), files: 20, fileBytes: 1000, seed: 1);
        using var first = new CliProcess.Running(Args(layout, "--builder", "paced"), PacedUntilReleased());
        await WaitForLogAsync(lines => lines.Any(l => l.StartsWith("start ", StringComparison.Ordinal)), "the first build to start");
        using var second = new CliProcess.Running(Args(layout, "--builder", "paced"), PacedUntilReleased());
        await WaitUntilAsync(() => second.ErrorSoFar.Contains("waiting for another imagecache process that is building this baseline", StringComparison.Ordinal),
            "the second pull to say it waits for the first one's build");
        ReleaseBuilds();

        var a = await first.ResultAsync();
        var b = await second.ResultAsync();

        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.True(b.ExitCode == 0, b.ToString());
        var starts = LogLines().Where(l => l.StartsWith("start ", StringComparison.Ordinal)).ToArray();
        Assert.True(starts.Length == 1, $"expected one build, the log says: {string.Join(" | ", LogLines())}");
        Assert.Contains("waiting for another imagecache process that is building this baseline", b.Error);
        Assert.Contains("built by another process meanwhile", b.Error);
        Assert.Equal((string)JsonNode.Parse(a.Out)!["output_path"]!, (string)JsonNode.Parse(b.Out)!["output_path"]!);
        Assert.Single(Entries(sandbox.RootfsDir));
        AssertNothingLeft("after both pulls", $"oci:{layout}:v1");
    }

    [Fact]
    public async Task Two_different_images_build_at_the_same_time()
    {
        var one = GeneratedImage.Write(Path.Combine(sandbox.Root, "one"), files: 20, fileBytes: 1000, seed: 1);
        var two = GeneratedImage.Write(Path.Combine(sandbox.Root, "two"), files: 20, fileBytes: 1000, seed: 2);
        using var first = new CliProcess.Running(Args(one, "--builder", "paced"), PacedUntilReleased());
        using var second = new CliProcess.Running(Args(two, "--builder", "paced"), PacedUntilReleased());
        // Neither build can end before both have started: a pull that waited for the other's build would time out here.
        await WaitForLogAsync(lines => lines.Count(l => l.StartsWith("start ", StringComparison.Ordinal)) == 2, "both builds to start");
        ReleaseBuilds();

        var a = await first.ResultAsync();
        var b = await second.ResultAsync();

        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.True(b.ExitCode == 0, b.ToString());
        var log = LogLines();
        Assert.True(log.Length == 4, string.Join(" | ", log));
        // Both builds started before either ended: neither waited for the other.
        Assert.True(log[0].StartsWith("start ", StringComparison.Ordinal) && log[1].StartsWith("start ", StringComparison.Ordinal), string.Join(" | ", log));
        Assert.Equal(2, Entries(sandbox.RootfsDir).Length);
        Assert.Equal(2, RecordRefs().Length);
    }

    [Theory]
    [InlineData("INT", 130, 1)]
    [InlineData("TERM", 143, 1)]
    [InlineData("INT", 130, 2)] // a second Ctrl-C does not cut the clean-up short
    public async Task A_signal_mid_build_cancels_the_pull_and_leaves_nothing(string signal, int exitCode, int times)
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "slow"), files: 20, fileBytes: 1000, seed: 3);
        using var pull = new CliProcess.Running(Args(layout, "--builder", "paced"), Paced(120_000));
        await WaitForLogAsync(lines => lines.Length > 0, "the build to start");
        Assert.NotEmpty(Entries(TmpDir)); // the build's temp directory exists while it runs
        for (var i = 0; i < times; i++) pull.Signal(signal);

        var result = await pull.ResultAsync();

        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains("error: cancelled", result.Error); // handled, not killed by the signal's default action
        Assert.Empty(result.Out);
        Assert.DoesNotContain(LogLines(), l => l.StartsWith("end ", StringComparison.Ordinal));
        Assert.Empty(Entries(sandbox.RootfsDir));
        AssertNothingLeft($"after SIG{signal} x{times}");
    }

    [Fact]
    public async Task Pulls_killed_at_random_moments_leave_no_baseline_record_or_temp_litter_after_the_next_command()
    {
        const int killsWanted = 10;
        var big = GeneratedImage.Write(Path.Combine(sandbox.Root, "big"), files: 1500, fileBytes: 16 * 1024, seed: 4);
        var small = GeneratedImage.Write(Path.Combine(sandbox.Root, "small"), files: 3, fileBytes: 100, seed: 5);
        var bigRef = $"oci:{big}:v1";
        var smallRef = $"oci:{small}:v1";

        // How long a whole pull of the big image takes here (blobs first copied, then reused: measure the second).
        var clock = Stopwatch.StartNew();
        var calibration = await CliProcess.RunAsync(Args(big));
        Assert.True(calibration.ExitCode == 0, calibration.ToString());
        var calibrationPath = (string)JsonNode.Parse(calibration.Out)!["output_path"]!;
        var typical = clock.Elapsed;
        var removed = await CliProcess.RunAsync("--state-dir", sandbox.State, "-q", "rm", "--purge", "--yes", bigRef);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.False(File.Exists(calibrationPath));

        var seed = Environment.TickCount;
        var random = new Random(seed);
        var kills = 0;
        var finished = 0;
        while (kills < killsWanted)
        {
            var wait = typical * (0.05 + random.NextDouble() * 0.95);
            using (var running = new CliProcess.Running(Args(big)))
            {
                if (await running.WaitAsync(wait))
                {
                    // It finished before the kill: undo it and try again.
                    Assert.True((await running.ResultAsync()).ExitCode == 0);
                    finished++;
                    Assert.True(finished < 20, $"the pull finished before the kill {finished} times (typical {typical.TotalMilliseconds:0} ms, seed {seed})");
                    Assert.Equal(0, (await CliProcess.RunAsync("--state-dir", sandbox.State, "-q", "rm", "--purge", "--yes", bigRef)).ExitCode);
                    continue;
                }
                await running.KillAsync();
            }
            kills++;
            var context = $"kill {kills} after {wait.TotalMilliseconds:0} ms of ~{typical.TotalMilliseconds:0} (seed {seed})";
            if (RecordRefs().Contains(bigRef))
            {
                // Killed after its index update (while printing or exiting): the pull had committed. Then it must be
                // whole — the record's baseline is there and verifies — and it is removed so the checks below hold.
                var committed = await CliProcess.RunAsync("--state-dir", sandbox.State, "verify", bigRef);
                Assert.True(committed.ExitCode == 0, $"{context}: a committed pull must verify: {committed}");
                Assert.Equal(0, (await CliProcess.RunAsync("--state-dir", sandbox.State, "-q", "rm", "--purge", "--yes", bigRef)).ExitCode);
            }

            // The next command: a pull of another image, which cleans up what the killed one left.
            var next = await CliProcess.RunAsync(Args(small));
            Assert.True(next.ExitCode == 0, $"{context}: {next}");
            var smallPath = (string)JsonNode.Parse(next.Out)!["output_path"]!;
            Assert.Equal([Path.GetFileName(smallPath)], Entries(sandbox.RootfsDir));
            AssertNothingLeft(context, smallRef);
        }

        // And the big image still pulls cleanly, and verifies.
        var final = await CliProcess.RunAsync(Args(big));
        Assert.True(final.ExitCode == 0, final.ToString());
        var verify = await CliProcess.RunAsync("--state-dir", sandbox.State, "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        AssertNothingLeft("after the final pull", smallRef, bigRef);
    }

    [Fact]
    public async Task A_size_mib_too_small_fails_with_the_size_needed_and_writes_nothing()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "sized"), files: 120, fileBytes: 64 * 1024, seed: 6); // 7.5 MiB of data

        var result = await CliProcess.RunAsync(Args(layout, "--size-mib", "8", "-q"));

        var line = result.AssertOneErrorLine();
        Assert.Matches(@"needs at least \d+ MiB", line);
        Assert.Empty(Entries(sandbox.RootfsDir));
        AssertNothingLeft("after the refused size");

        var fits = await CliProcess.RunAsync(Args(layout, "--size-mib", "80"));
        Assert.True(fits.ExitCode == 0, fits.ToString());
        Assert.Equal(80L * 1024 * 1024, (long)JsonNode.Parse(fits.Out)!["size_bytes"]!);
    }

    [Fact]
    public async Task Tag_names_the_pulled_image_and_json_prints_its_record()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "tagged"), files: 5, fileBytes: 100, seed: 7);

        var result = await CliProcess.RunAsync(Args(layout, "--tag", "local/tagged:one"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var record = JsonNode.Parse(result.Out)!;
        Assert.Equal($"oci:{layout}:v1", (string)record["image_ref"]!);
        var inspect = await CliProcess.RunAsync("--state-dir", sandbox.State, "--json", "inspect", "local/tagged:one");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        var tagged = JsonNode.Parse(inspect.Out)!;
        if (tagged is JsonArray array) tagged = Assert.Single(array)!;
        Assert.Equal((string)record["output_path"]!, (string)tagged["output_path"]!);
        Assert.Equal((string)record["digest"]!, (string)tagged["digest"]!);
        Assert.Equal((string)record["rootfs_sha256"]!, (string)tagged["rootfs_sha256"]!);
    }

    [Fact]
    public async Task A_digest_as_tag_name_fails_before_anything_is_pulled()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "badtag"), files: 5, fileBytes: 100, seed: 8);

        var result = await CliProcess.RunAsync(Args(layout, "--tag", "sha256:" + new string('a', 64)));

        Assert.Contains("not a digest", result.AssertOneErrorLine());
        Assert.False(Directory.Exists(Path.Combine(sandbox.State, "oci")), "nothing may be fetched");
        Assert.Empty(RecordRefs());
    }

    [Fact]
    public async Task No_journal_builds_an_ext4_without_a_journal_under_its_own_key_and_squashfs_refuses_it()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "journal"), files: 5, fileBytes: 100, seed: 9);

        var journaled = await CliProcess.RunAsync(Args(layout));
        var bare = await CliProcess.RunAsync(Args(layout, "--no-journal"));

        Assert.True(journaled.ExitCode == 0, journaled.ToString());
        Assert.True(bare.ExitCode == 0, bare.ToString());
        var journaledPath = (string)JsonNode.Parse(journaled.Out)!["output_path"]!;
        var barePath = (string)JsonNode.Parse(bare.Out)!["output_path"]!;
        Assert.NotEqual(journaledPath, barePath);
        Assert.Contains("has_journal", Tool("dumpe2fs", "-h", journaledPath));
        Assert.DoesNotContain("has_journal", Tool("dumpe2fs", "-h", barePath));
        Tool("e2fsck", "-fn", barePath);

        var squashfs = await CliProcess.RunAsync(Args(layout, "--no-journal", "--builder", "squashfs", "-q"));
        Assert.Contains("journal", squashfs.AssertOneErrorLine());
        Assert.Equal(2, Entries(sandbox.RootfsDir).Length);
        Assert.Empty(Entries(TmpDir));
    }

    [Fact]
    public async Task Progress_is_a_line_per_phase_when_piped_and_nothing_with_quiet()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "lines"), files: 5, fileBytes: 100, seed: 10);

        var piped = await CliProcess.RunAsync(Args(layout));
        var quiet = await CliProcess.RunAsync(Args(Path.Combine(sandbox.Root, "lines"), "-q", "--no-journal"));

        Assert.True(piped.ExitCode == 0, piped.ToString());
        Assert.Contains("imagecache: fetching", piped.Error);
        Assert.Contains("imagecache: building ext4 with ext4", piped.Error);
        Assert.DoesNotContain("\u001b[", piped.Error);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("", quiet.Error);
        Assert.NotNull(JsonNode.Parse(quiet.Out));
    }

    [Fact]
    public async Task Progress_on_a_terminal_draws_bars_for_the_blobs_and_the_build()
    {
        var layout = GeneratedImage.Write(Path.Combine(sandbox.Root, "tty"), files: 300, fileBytes: 4096, seed: 11);
        // util-linux `script` gives the CLI a pseudo-terminal for stdin, stdout and stderr.
        var command = string.Join(' ', new[] { CliProcess.DotnetHost, CliProcess.DllPath }.Concat(Args(layout)).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var info = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[] { "-qfec", command, "/dev/null" }) info.ArgumentList.Add(arg);
        info.Environment["TERM"] = "xterm-256color";
        info.Environment["COLUMNS"] = "120";
        info.Environment.Remove("IMAGECACHE_STATE_DIR");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        finally { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        var screen = await output;

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{screen}\n{await error}");
        Assert.Contains("\u001b[", screen);                 // drawn with escape sequences
        Assert.Matches(@"3\d\d/3\d\d entries", screen); // … a build bar counting the entries (300 files and the dirs)
        Assert.Contains("build ext4 (ext4)", screen);
        Assert.Contains("blob ", screen);                   // … and bars for the blobs
        Assert.DoesNotContain("imagecache: fetching", screen); // not the piped lines
        Assert.Single(Entries(sandbox.RootfsDir));
    }

    static string Tool(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {process.ExitCode}: {error}{output.Result}");
        return output.Result;
    }
}
