using ImageCache.Contracts;
using ImageCache.Fetchers.Oci;
using ImageCache.Host.Blobs;

namespace ImageCache.Plugins.Tests.Oci;

/// <summary>Progress that records synchronously (Progress&lt;T&gt; posts to the thread pool, too late for assertions).</summary>
internal sealed class RecordingProgress : IProgress<TransferProgress>
{
    readonly List<TransferProgress> _reports = [];

    public IReadOnlyList<TransferProgress> Reports { get { lock (_reports) return [.. _reports]; } }

    public void Report(TransferProgress value) { lock (_reports) _reports.Add(value); }
}

internal static class Fetch
{
    public static Task<FetchedImage> Oci(string location, OciBlobStore store, PlatformSpec? platform = null, IProgress<TransferProgress>? progress = null) =>
        new OciLayoutFetcher().FetchAsync(new FetchRequest(location, platform, store, false, progress), CancellationToken.None);

    public static Task<FetchedImage> Archive(string location, OciBlobStore store, PlatformSpec? platform = null) =>
        new OciArchiveFetcher().FetchAsync(new FetchRequest(location, platform, store, false, null), CancellationToken.None);

    /// <summary>Record equality compares the layer lists by reference; this compares them item by item.</summary>
    public static void AssertSame(FetchedImage expected, FetchedImage actual)
    {
        Xunit.Assert.Equal(expected with { Layers = [] }, actual with { Layers = [] });
        Xunit.Assert.Equal(expected.Layers, actual.Layers);
    }

    public static PlatformSpec Arm64 { get; } = new("linux", "arm64");

    public static PlatformSpec Amd64 { get; } = new("linux", "amd64");
}
