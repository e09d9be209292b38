using ImageCache.Core;
using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>The index lock: a second taker waits for the holder instead of failing (flock is per open file, so this works within one process too).</summary>
public sealed class FileLockTests : IDisposable
{
    readonly StorageSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task A_second_taker_waits_while_the_lock_is_held_and_gets_it_when_released()
    {
        var store = sandbox.Store;
        var first = await store.LockAsync(CancellationToken.None);
        var notice = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Waits for the notice itself, not for a fixed time: a loaded machine may start the taker's loop late.
        var second = new IndexStore(sandbox.Layout, n => notice.TrySetResult(n)).LockAsync(CancellationToken.None);
        await Task.WhenAny(second, notice.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.False(second.IsCompleted, second.IsFaulted ? $"the second taker failed instead of waiting: {second.Exception!.InnerException!.Message}" : "the second taker got a held lock");
        Assert.True(notice.Task.IsCompleted, "the second taker waited 30 s without saying so");
        // 90 %: the lock measures with Environment.TickCount64, which Linux serves from a coarse clock (a few ms steps).
        Assert.True(clock.Elapsed >= FileLock.QuietWait * 0.9, $"it said so after {clock.Elapsed}, before a quiet {FileLock.QuietWait}");
        Assert.Equal($"waiting for {sandbox.Layout.IndexLockFile}: another imagecache process holds it", await notice.Task);

        first.Dispose();
        using var taken = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(FileLock.TryAcquire(sandbox.Layout.IndexLockFile));
    }

    [Fact]
    public async Task Try_acquire_is_null_while_the_lock_is_held_and_succeeds_after()
    {
        using (await sandbox.Store.LockAsync(CancellationToken.None))
            Assert.Null(FileLock.TryAcquire(sandbox.Layout.IndexLockFile));

        using var again = FileLock.TryAcquire(sandbox.Layout.IndexLockFile);
        Assert.NotNull(again);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sandbox.Layout.IndexLockFile));
    }

    [Fact]
    public async Task Cancelling_a_wait_for_the_lock_is_a_lock_cancelled_error()
    {
        using var held = await sandbox.Store.LockAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var e = await Assert.ThrowsAsync<ImageCacheException>(() => sandbox.Store.LockAsync(cancel.Token));

        Assert.Equal(HostErrorCodes.LockCancelled, e.Code);
    }

    [Fact]
    public async Task Concurrent_tags_in_one_process_all_land_in_the_index()
    {
        sandbox.WriteIndex(StorageSandbox.Record("busybox", StorageSandbox.Sha('b'), sandbox.StoreFile("b.ext4")));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => sandbox.Client().TagAsync("busybox", $"local/busybox:t{i}"))));

        Assert.Equal(21, sandbox.Store.Read().Images.Count);
    }
}
