using System.Diagnostics;
using ImageCache.Host.Plugins;
using Xunit;

namespace ImageCache.Host.Tests.Plugins;

/// <summary>The plugin cache's temp file of a writer that was killed must not stay in the state directory for good.</summary>
public sealed class PluginCacheTests : IDisposable
{
    readonly string state = Directory.CreateTempSubdirectory("imagecache-plugincache-").FullName;

    public void Dispose() => Directory.Delete(state, recursive: true);

    [Fact]
    public void Writing_the_cache_removes_a_killed_writers_temp_file_and_keeps_a_live_ones()
    {
        var cache = Path.Combine(state, "cache", "plugins.json");
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        var abandoned = $"{cache}.{ExitedProcess.Id()}.tmp";
        File.WriteAllText(abandoned, "{\"half\":");
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            var live = $"{cache}.{sleeper.Id}.tmp";
            File.WriteAllText(live, "{");

            Assert.True(PluginCache.Write(cache, []));

            Assert.False(File.Exists(abandoned), "a killed writer's temp file was kept");
            Assert.True(File.Exists(live), "a live writer's temp file was removed");
            Assert.True(File.Exists(cache));
            Assert.Empty(PluginCache.Read(cache));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }
}
