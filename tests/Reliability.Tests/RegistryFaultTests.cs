using System.Collections.Concurrent;
using System.Diagnostics;
using ImageCache.Registry.Tests;
using Xunit.Abstractions;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// Registry faults through the real CLI: a token-auth docker-registry behind the fault-injecting proxy (token service
/// behind another). Each case arms a fault, runs <c>imagecache pull</c> with a hard bound, and requires that the pull
/// either succeeded or failed with exactly one <c>error:</c> line — never a hang, never an internal error. Then the
/// fault is removed and a second pull must succeed while downloading only the blobs the first one did not store
/// (counted per request and per byte at the proxy). CI pulls a ~2 MiB image once per case; soak mode a ~16 MiB one,
/// three rounds per case.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RegistryFaultTests(TokenRegistryRig rig, ITestOutputHelper output) : IClassFixture<TokenRegistryRig>, IDisposable
{
    /// <summary>Generous for two shared cores; a pull still running after it has hung.</summary>
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    static readonly int BigLayerBytes = Soak.Pick(2 << 20, 16 << 20);
    static readonly int Rounds = Soak.Pick(1, 3);

    readonly Sandbox sandbox = new();

    public void Dispose()
    {
        rig.ClearFaults();
        sandbox.Dispose();
    }

    public enum Expect { Success, Failure }

    static bool Manifest(ProxiedRequest r) => r.Path.Contains("/manifests/", StringComparison.Ordinal);
    static bool Blob(ProxiedRequest r, string digest) => r.Path.EndsWith("/blobs/" + digest, StringComparison.Ordinal);

    /// <summary>The first <paramref name="times"/> requests matching <paramref name="match"/> get <paramref name="fault"/>.</summary>
    static Func<ProxiedRequest, Fault?> FirstTimes(int times, Func<ProxiedRequest, bool> match, Fault fault)
    {
        var seen = 0;
        return r => match(r) && Interlocked.Increment(ref seen) <= times ? fault : null;
    }

    /// <summary>The first <paramref name="times"/> requests of every distinct path get <paramref name="fault"/> (a storm on each request).</summary>
    static Func<ProxiedRequest, Fault?> FirstTimesPerPath(int times, Fault fault)
    {
        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        return r => seen.AddOrUpdate(r.Path.Split('?')[0], 1, (_, n) => n + 1) <= times ? fault : null;
    }

    static Fault RateLimited => new Fault.Respond(429, new Dictionary<string, string> { ["Retry-After"] = "1" },
        """{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");

    /// <summary>Arms the fault of case <paramref name="name"/>; returns what the pull must do and what its error must say.</summary>
    (Expect Expect, string? ErrorSays) Arm(string name, PushedImage image)
    {
        var big = image.LayerDigests[1];
        var always = int.MaxValue;
        switch (name)
        {
            case "trickle":
                rig.Proxy.Faults = r => Blob(r, big) || Manifest(r) ? new Fault.Trickle(16 << 10, TimeSpan.FromMilliseconds(Soak.Pick(20, 10))) : null;
                return (Expect.Success, null);
            case "stall-blob-once":
                // Soak only: 16 KiB, then nothing for longer than the CLI's 60 s read-idle timeout.
                rig.Proxy.Faults = FirstTimes(1, r => Blob(r, big), new Fault.Trickle(16 << 10, TimeSpan.FromSeconds(75)));
                return (Expect.Success, null);
            case "reset-token-once":
                rig.TokenProxy.Faults = FirstTimes(1, _ => true, new Fault.Reset());
                return (Expect.Success, null);
            case "reset-token-always":
                rig.TokenProxy.Faults = _ => new Fault.Reset();
                return (Expect.Failure, rig.TokenProxy.Address);
            case "reset-manifest-once":
                rig.Proxy.Faults = FirstTimes(1, Manifest, new Fault.Reset());
                return (Expect.Success, null);
            case "reset-manifest-always":
                rig.Proxy.Faults = r => Manifest(r) ? new Fault.Reset() : null;
                return (Expect.Failure, "manifest");
            case "reset-config-once":
                rig.Proxy.Faults = FirstTimes(1, r => Blob(r, image.ConfigDigest), new Fault.Reset());
                return (Expect.Success, null);
            case "reset-config-always":
                rig.Proxy.Faults = r => Blob(r, image.ConfigDigest) ? new Fault.Reset() : null;
                return (Expect.Failure, image.ConfigDigest);
            case "reset-blob-start-once":
                rig.Proxy.Faults = FirstTimes(1, r => Blob(r, big), new Fault.Reset());
                return (Expect.Success, null);
            case "reset-blob-start-always":
                rig.Proxy.Faults = r => Blob(r, big) ? new Fault.Reset() : null;
                return (Expect.Failure, big);
            case "cut-blob-middle-once":
                rig.Proxy.Faults = FirstTimes(1, r => Blob(r, big), new Fault.CutAfter(BigLayerBytes / 2));
                return (Expect.Success, null);
            case "cut-blob-middle-always":
                // Every response, resumed ones included, is cut after 64 KiB: progress, but never the whole blob.
                rig.Proxy.Faults = FirstTimes(always, r => Blob(r, big), new Fault.CutAfter(64 << 10));
                return (Expect.Failure, big);
            case "429-storm":
                rig.Proxy.Faults = FirstTimesPerPath(2, RateLimited);
                rig.TokenProxy.Faults = FirstTimesPerPath(2, RateLimited);
                return (Expect.Success, null);
            case "429-lasting":
                rig.Proxy.Faults = r => Manifest(r) ? RateLimited : null;
                return (Expect.Failure, "TOOMANYREQUESTS");
            case "500-run":
                rig.Proxy.Faults = FirstTimesPerPath(3, new Fault.Respond(500, Body: "boom"));
                return (Expect.Success, null);
            case "500-lasting":
                rig.Proxy.Faults = r => Blob(r, big) ? new Fault.Respond(r.Number % 2 == 0 ? 500 : 503) : null;
                return (Expect.Failure, big);
            case "gone-mid-blob":
            case "gone-and-back":
                rig.Proxy.Faults = r => Blob(r, big) ? new Fault.Trickle(16 << 10, TimeSpan.FromMilliseconds(20)) : null;
                return (name == "gone-mid-blob" ? Expect.Failure : Expect.Success, name == "gone-mid-blob" ? big : null);
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such fault case");
        }
    }

    public static TheoryData<string> Cases
    {
        get
        {
            var cases = CiCases;
            if (Soak.On) cases.Add("stall-blob-once");
            return cases;
        }
    }

    static TheoryData<string> CiCases => new()
    {
        "trickle", "reset-token-once", "reset-token-always", "reset-manifest-once", "reset-manifest-always", "reset-config-once",
        "reset-config-always", "reset-blob-start-once", "reset-blob-start-always", "cut-blob-middle-once", "cut-blob-middle-always",
        "429-storm", "429-lasting", "500-run", "500-lasting", "gone-mid-blob", "gone-and-back",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_pull_under_the_fault_succeeds_or_fails_with_one_error_line_in_bounded_time_and_the_next_pull_fetches_only_what_is_missing(string name)
    {
        for (var round = 1; round <= Rounds; round++)
        {
            var repository = RegistryImagesRepository(name);
            var image = await rig.PushAsync(repository, BigLayerBytes);
            var reference = $"{rig.Proxy.Address}/{repository}:v1";
            var (expect, errorSays) = Arm(name, image);

            var clock = Stopwatch.StartNew();
            CliResult first;
            using (var pull = new Cli.Running(Cli.StartInfo(sandbox.State, sandbox.HostTemp, ["pull", reference])))
            {
                var disruption = name.StartsWith("gone", StringComparison.Ordinal) ? DisruptMidBlobAsync(image, name == "gone-and-back") : Task.CompletedTask;
                var ended = await pull.WaitAsync(Bound);
                if (!ended) await pull.KillAsync();
                await disruption;
                Assert.True(ended, $"{name}: the pull had not ended after {Bound.TotalSeconds} s (killed)");
                first = await pull.ResultAsync();
            }
            clock.Stop();
            var errors = Lines(first.Error).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
            output.WriteLine($"{name} round {round}: exit {first.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s; {errors.FirstOrDefault() ?? "no error"}");
            Assert.DoesNotContain("internal error", first.Error);
            Assert.DoesNotContain("   at ", first.Error);
            if (expect == Expect.Success)
            {
                Assert.True(first.ExitCode == 0, $"{name}: {first}");
                Assert.Empty(errors);
            }
            else
            {
                Assert.True(first.ExitCode == 1, $"{name}: {first}");
                Assert.True(errors.Count == 1, $"{name}: expected one error line: {first}");
                Assert.Contains(errorSays!, errors[0]);
            }
            if (name == "gone-mid-blob") rig.RestartProxy();

            // The fault is gone: the next pull completes and asks only for blobs the store does not hold yet.
            rig.ClearFaults();
            var stored = StoredBlobs();
            var missing = new[] { image.ConfigDigest }.Concat(image.LayerDigests).Where(d => !stored.Contains(d)).ToList();
            rig.Proxy.Requests.Clear();
            var bytesBefore = rig.Proxy.BlobBytes;
            var second = await sandbox.RunAsync("pull", reference);
            Assert.True(second.ExitCode == 0, $"{name}: the pull after the fault: {second}");
            var blobGets = rig.Proxy.BlobRequests.Where(r => r.Method == "GET").Select(r => r.Path[(r.Path.LastIndexOf('/') + 1)..]).ToList();
            var missingBytes = missing.Sum(BlobSize);
            var fetched = rig.Proxy.BlobBytes - bytesBefore;
            output.WriteLine($"{name} round {round}: after the fault, {missing.Count} of 3 blobs missing ({missingBytes} bytes); "
                + $"the next pull made {blobGets.Count} blob GETs, {fetched} bytes");
            Assert.Equal(missing.Order(StringComparer.Ordinal), blobGets.Order(StringComparer.Ordinal));
            Assert.Equal(missingBytes, fetched);
            Assert.Contains(image.ManifestDigest, (await sandbox.RunAsync("--json", "inspect", reference)).Out);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sandbox.State, "tmp")));
            Assert.Empty(Directory.EnumerateFiles(sandbox.State, "*.partial", SearchOption.AllDirectories));
        }
    }

    /// <summary>Stops the proxy once ~256 KiB of the big blob went through; brings it back 2 s later when <paramref name="comeBack"/>.</summary>
    async Task DisruptMidBlobAsync(PushedImage image, bool comeBack)
    {
        var start = rig.Proxy.BlobBytes;
        var deadline = Stopwatch.StartNew();
        while (!(rig.Proxy.BlobRequests.Any(r => Blob(r, image.LayerDigests[1])) && rig.Proxy.BlobBytes - start > (256 << 10)))
        {
            Assert.True(deadline.Elapsed < Bound, "the big blob was never requested");
            await Task.Delay(20);
        }
        rig.StopProxy();
        if (!comeBack) return;
        await Task.Delay(TimeSpan.FromSeconds(2));
        rig.RestartProxy();
        rig.Proxy.Faults = r => null;
    }

    HashSet<string> StoredBlobs()
    {
        var dir = Path.Combine(sandbox.State, "oci", "blobs", "sha256");
        return Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Select(f => "sha256:" + Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal) : [];
    }

    long BlobSize(string digest) => new FileInfo(Path.Combine(sandbox.State, "oci", "blobs", "sha256", digest["sha256:".Length..])).Length;

    static string RegistryImagesRepository(string name) => ImageCache.Registry.Tests.TestImages.Repository("fault-" + name);

    static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
