using ImageCache.Contracts;
using ImageCache.Core;
using ImageCache.Host.Blobs;
using ImageCache.Host.Storage;
using LanguageExt;
using Index = ImageCache.Core.Index;

namespace ImageCache.Host.Operations;

/// <summary>
/// The parts of a pull that keep it safe next to other processes and after a kill: the per-key build lock, the
/// publish intent and its roll-back, the clean-up of what a killed pull left, and <c>pull --tag</c>.
/// </summary>
public sealed partial class ImageCacheClient
{
    /// <summary>
    /// Written into a pull's temp directory, under the index lock, just before the baseline is renamed into
    /// <c>images/rootfs/</c>; it holds the final path. A pull killed between that rename and the index write leaves it
    /// behind, and <see cref="RecoverInterruptedWorkAsync"/> deletes the unrecorded file it names.
    /// </summary>
    const string PublishIntentName = "publishing";

    /// <summary>
    /// Cleans up after pulls that died (SIGKILL, power loss): under the index lock, removes the temp directories of
    /// dead processes, first rolling back a publish one had begun but not recorded; and, when no pull holds the blob
    /// store, removes half-written blobs from <c>oci/ingest/</c>. Runs at the start of every pull and in prune.
    /// </summary>
    async Task RecoverInterruptedWorkAsync(CancellationToken cancellationToken)
    {
        if (HasEntries(Layout.TmpDir))
        {
            using var held = await Store.LockAsync(cancellationToken).ConfigureAwait(false);
            ImageIndex? index = null;
            new TempArea(Layout).CleanStale(Now, staleDirectory => RollBackPublish(staleDirectory, () => index ??= Store.Read()));
        }
        CleanAbandonedIngest();
    }

    /// <summary>Deletes the baseline a dead pull renamed into place when no record refers to it (its index write never happened).</summary>
    void RollBackPublish(string staleDirectory, Func<ImageIndex> index)
    {
        var intent = Path.Combine(staleDirectory, PublishIntentName);
        if (!File.Exists(intent)) return;
        var published = File.ReadAllText(intent).Trim();
        // Only ever a file directly in images/rootfs/: the intent file is ours, but it is read back from disk.
        if (published.Length == 0 || !string.Equals(Path.GetDirectoryName(published), Layout.RootfsDir, StringComparison.Ordinal)) return;
        if (!File.Exists(published) || index().Images.Exists(r => string.Equals(r.OutputPath, published, StringComparison.Ordinal))) return;
        OciLayoutScaffold.TryDelete(published);
        options.OnNotice?.Invoke($"removed {published}: a pull was killed after publishing it and before recording it");
    }

    /// <summary>Takes back a baseline just renamed into place whose record could not be written, unless an older record refers to the same file.</summary>
    static void UnpublishUnrecorded(ImageIndex current, string finalPath)
    {
        if (!current.Images.Exists(r => string.Equals(r.OutputPath, finalPath, StringComparison.Ordinal)))
            OciLayoutScaffold.TryDelete(finalPath);
    }

    /// <summary>Removes <c>oci/ingest/</c> leftovers, but only when no pull is running (every pull holds the blobs lock shared while it stores blobs).</summary>
    void CleanAbandonedIngest()
    {
        var ingest = Path.Combine(Layout.OciDir, OciBlobStore.IngestDirName);
        if (!HasEntries(ingest)) return;
        using var exclusive = FileLock.TryAcquire(Layout.BlobsLockFile);
        if (exclusive is null) return;
        foreach (var leftover in Directory.EnumerateFiles(ingest)) OciLayoutScaffold.TryDelete(leftover);
    }

    static bool HasEntries(string directory) => Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any();

    /// <summary>
    /// Takes the build lock of <paramref name="contentKey"/>, waiting while another process builds the same baseline
    /// (saying so after <see cref="FileLock.QuietWait"/>, like the index lock).
    /// </summary>
    async Task<FileLock> HoldBuildLockAsync(string contentKey, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var path = Layout.BuildLockFile(contentKey);
        void Waiting(string _)
        {
            var message = $"waiting for another imagecache process that is building this baseline ({contentKey[..Math.Min(12, contentKey.Length)]})";
            if (progress is not null) progress.Report(message);
            else options.OnNotice?.Invoke(message);
        }
        try
        {
            Directory.CreateDirectory(Layout.LocksDir, IndexStore.DirectoryMode);
            return await FileLock.AcquireAsync(path, Waiting, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot lock {path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>Records that <paramref name="finalPath"/> is about to be published from <paramref name="tempDirectory"/> (see <see cref="PublishIntentName"/>).</summary>
    static void MarkPublishing(string tempDirectory, string finalPath) =>
        File.WriteAllText(Path.Combine(tempDirectory, PublishIntentName), finalPath);

    /// <summary>The builder options a request asks for: only what the user asked, so builders without those options are not handed them.</summary>
    static Dictionary<string, string> BuilderOptions(PullRequest request)
    {
        var builderOptions = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!request.Journal) builderOptions["journal"] = "false";
        return builderOptions;
    }

    /// <summary>Hands <paramref name="value"/> to <paramref name="progress"/> when it also takes <typeparamref name="T"/> reports (see <see cref="PullAsync"/>).</summary>
    static void Report<T>(IProgress<string>? progress, T value) => (progress as IProgress<T>)?.Report(value);

    /// <summary>
    /// Checks that <paramref name="name"/> can name an image (<c>pull --tag</c>), before anything is pulled.
    /// </summary>
    /// <exception cref="ImageCacheException">The name is empty, malformed or a digest.</exception>
    public void CheckTagName(string name) => TagOf(new ImageRecord { ImageRef = "imagecache/pull-probe" }, name);

    /// <summary>
    /// Adds (or replaces) a record named <paramref name="name"/> for exactly the image <paramref name="pulled"/>
    /// describes, like <c>imagecache tag</c> (<c>pull --tag</c>); returns it.
    /// </summary>
    public async Task<ImageRecord> TagPulledAsync(ImageRecord pulled, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pulled);
        var tagged = TagOf(pulled, name);
        return Single(await ReduceAsync(new IndexCommand.Upsert(tagged), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The record <c>tag</c> would make from <paramref name="source"/> alone (the reducer's own rules, applied to a one-record index).</summary>
    ImageRecord TagOf(ImageRecord source, string name)
    {
        var probe = source with { ImageRef = "imagecache/pull-probe", CanonicalRef = "" };
        var reduction = Index.Reduce(new ImageIndex(Prelude.Seq1(probe)), new IndexCommand.Tag(probe.ImageRef, name, Now))
            .Match(r => r, error => throw ImageCacheException.From(error));
        return Single(reduction);
    }
}
