using ImageCache.Host.Storage;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>
/// The CLI's background warm-up runs the index code on a made-up index. Its outcome is thrown away in the CLI, so a
/// warm-up that silently stopped at its first step would only cost time; these tests make sure it runs to the end.
/// </summary>
public sealed class IndexCodeWarmupTests
{
    [Fact]
    public void The_warm_up_runs_every_step_of_the_index_code()
    {
        Assert.True(IndexCodeWarmup.Exercise(out var index, out var scanned, out var reread));
        Assert.Equal(index, scanned);
        Assert.Equal(index, reread);
    }


    [Fact]
    public async Task Starting_it_twice_and_beside_a_real_update_leaves_the_update_intact()
    {
        var state = Directory.CreateTempSubdirectory("warmup-");
        try
        {
            var store = new IndexStore(new StateLayout(state.FullName));
            IndexCodeWarmup.Start();
            IndexCodeWarmup.Start();
            var record = new ImageCache.Core.ImageRecord { ImageRef = "a/b:1", CanonicalRef = "docker.io/a/b:1", Digest = "sha256:" + new string('e', 64) };
            var written = await store.UpdateAsync(index => (new ImageCache.Core.ImageIndex(LanguageExt.Prelude.Seq1(record)), true), CancellationToken.None);
            Assert.True(written);
            Assert.Equal(record, Assert.Single(store.Read().Images));
            Assert.Equal(["index.json", "index.json.lock", "rootfs"], Directory.EnumerateFileSystemEntries(Path.Combine(state.FullName, "images")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally { state.Delete(recursive: true); }
    }
}
