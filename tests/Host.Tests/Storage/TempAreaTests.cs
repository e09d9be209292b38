using System.Diagnostics;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>
/// Stale temp entries are those of dead processes. A creator that still runs may be between creating its lock file
/// and locking it: cleaning must not take the lock from it (the 16-process stress test caught a pull failing with
/// "cannot lock the new temp directory" when a concurrent prune did).
/// </summary>
public sealed class TempAreaTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("imagecache-temparea-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    string Entry(string name)
    {
        var layout = new StateLayout(root);
        var entry = Path.Combine(layout.TmpDir, name);
        Directory.CreateDirectory(entry);
        File.WriteAllText(Path.Combine(entry, TempArea.OwnerLockName), ""); // created, not locked yet
        return entry;
    }

    [Fact]
    public void An_unlocked_entry_of_a_running_process_is_kept_and_one_of_a_dead_process_is_removed()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            var creating = Entry($"fetch-{sleeper.Id}-{Guid.NewGuid():N}");
            var ours = Entry($"build-{Environment.ProcessId}-{Guid.NewGuid():N}");
            var dead = Entry($"fetch-{ExitedProcess.Id()}-{Guid.NewGuid():N}");

            var removed = new TempArea(new StateLayout(root)).CleanStale(DateTimeOffset.UtcNow);

            Assert.True(Directory.Exists(creating), "the entry of a running creator was removed");
            Assert.True(Directory.Exists(ours), "an entry of this process was removed");
            Assert.False(Directory.Exists(dead), "the entry of a dead process was kept");
            Assert.Equal([dead], removed);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void An_entry_without_a_lock_file_goes_at_once_when_its_creator_is_dead_and_waits_when_its_creator_is_unknown()
    {
        // A pull killed between creating its directory and its lock file (CI caught one 133 ms into a pull): the next
        // command must remove it, not wait a minute for a creator that cannot come back.
        var layout = new StateLayout(root);
        var killedEarly = Path.Combine(layout.TmpDir, $"fetch-{ExitedProcess.Id()}-{Guid.NewGuid():N}");
        var nameless = Path.Combine(layout.TmpDir, "something-without-a-pid");
        Directory.CreateDirectory(killedEarly);
        Directory.CreateDirectory(nameless);

        var removed = new TempArea(layout).CleanStale(DateTimeOffset.UtcNow);

        Assert.Equal([killedEarly], removed);
        Assert.False(Directory.Exists(killedEarly), "the lock-less entry of a dead process was kept");
        Assert.True(Directory.Exists(nameless), "a fresh lock-less entry of an unknown creator was removed");
        Assert.Equal([nameless], new TempArea(layout).CleanStale(DateTimeOffset.UtcNow.AddMinutes(2)));
    }

    [Fact]
    public async Task Creating_while_another_thread_cleans_never_fails()
    {
        var area = new TempArea(new StateLayout(root));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var cleaner = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) area.CleanStale(DateTimeOffset.UtcNow);
        });
        var created = 0;
        while (!stop.IsCancellationRequested)
        {
            using var scope = area.Create("fetch");
            Assert.True(Directory.Exists(scope.Directory));
            created++;
        }
        await cleaner;
        Assert.True(created > 10, $"only {created} temp directories made in 3 s");
    }
}
