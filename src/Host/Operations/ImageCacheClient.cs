using System.Security.Cryptography;
using ImageCache.Core;
using ImageCache.Host.Storage;
using LanguageExt;
using Index = ImageCache.Core.Index;

namespace ImageCache.Host.Operations;

/// <summary>
/// The library API: every index operation the CLI offers, for scripts and other programs. Each write is the same
/// sandwich: lock → read the index and the file-system facts → <see cref="Index.Reduce"/> → write the index →
/// perform the effects (delete files) → unlock. Expected failures throw <see cref="ImageCacheException"/> with a
/// one-line message; nothing is written when one is thrown before the index write.
/// </summary>
public sealed partial class ImageCacheClient
{
    readonly ImageCacheOptions options;

    /// <summary>Creates a client for a state directory.</summary>
    public ImageCacheClient(ImageCacheOptions? options = null)
    {
        this.options = options ?? new ImageCacheOptions();
        Layout = StateLayout.For(this.options.StateDir);
        Store = new IndexStore(Layout, this.options.OnNotice);
    }

    /// <summary>Where everything lives.</summary>
    public StateLayout Layout { get; }

    /// <summary>The index file store.</summary>
    public IndexStore Store { get; }

    DateTimeOffset Now => options.Time.GetUtcNow();

    /// <summary>The index as it is on disk (the seed's <c>ReadIndex</c>). Takes no lock: writes are atomic renames.</summary>
    public Task<ImageIndex> ReadIndexAsync(CancellationToken cancellationToken = default) => Task.FromResult(Store.Read());

    /// <summary>Replaces the whole index under the lock (the seed's <c>WriteIndex</c>); records are sorted first.</summary>
    public Task WriteIndexAsync(ImageIndex index, CancellationToken cancellationToken = default) =>
        Store.UpdateAsync(_ => (index.Sorted(), true), cancellationToken);

    /// <summary>Every record, sorted (the seed's <c>List</c>).</summary>
    public async Task<Seq<ImageRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        (await ReadIndexAsync(cancellationToken).ConfigureAwait(false)).Sorted().Images;

    /// <summary>The records <paramref name="reference"/> names (DESIGN §4 matching).</summary>
    public async Task<Seq<ImageRecord>> InspectAsync(string reference, CancellationToken cancellationToken = default)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        return RefMatcher.Find(index, reference).Match(found => found, error => throw ImageCacheException.From(error));
    }

    /// <summary>
    /// The first record <paramref name="reference"/> names that satisfies <paramref name="platform"/> (empty fields
    /// match anything) and whose baseline file exists (the seed's <c>Find</c>).
    /// </summary>
    public async Task<ImageRecord> FindAsync(string reference, Platform platform, CancellationToken cancellationToken = default)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        var found = Index.Find(index, reference, platform).Match(f => f, error => throw ImageCacheException.From(error));
        return found.Find(r => File.Exists(r.OutputPath))
            .IfNone(() => throw ImageCacheException.From(CoreErrors.ImageNotFound(reference.Trim())));
    }

    /// <summary>Adds or replaces a record (the seed's <c>Upsert</c>).</summary>
    public async Task<ImageRecord> UpsertAsync(ImageRecord record, CancellationToken cancellationToken = default) =>
        Single(await ReduceAsync(new IndexCommand.Upsert(record), cancellationToken).ConfigureAwait(false));

    /// <summary>Records a build's provenance as a baseline record (the seed's <c>RecordProvenance</c>); does nothing when the reference or digest is empty.</summary>
    public async Task<Option<ImageRecord>> RecordProvenanceAsync(Provenance provenance, CancellationToken cancellationToken = default)
    {
        if (provenance.ImageRef.Trim().Length == 0 || provenance.Digest.Length == 0) return Option<ImageRecord>.None;
        return await UpsertAsync(provenance.ToRecord(Now), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives the images <paramref name="source"/> names a new name (one record per platform; the seed's <c>Tag</c>).</summary>
    public async Task<Seq<ImageRecord>> TagAsync(string source, string target, CancellationToken cancellationToken = default) =>
        Records(await ReduceAsync(new IndexCommand.Tag(source, target, Now), cancellationToken).ConfigureAwait(false));

    /// <summary>Marks the records <paramref name="reference"/> names as used now.</summary>
    public async Task<Seq<ImageRecord>> TouchAsync(string reference, CancellationToken cancellationToken = default) =>
        Records(await ReduceAsync(new IndexCommand.Touch(reference, Now), cancellationToken).ConfigureAwait(false));

    /// <summary>Drops the records <paramref name="reference"/> names; with <paramref name="purge"/> deletes their store files unless a kept record shares them (the seed's <c>Remove</c>).</summary>
    public async Task<PruneResult> RemoveAsync(string reference, bool purge, CancellationToken cancellationToken = default) =>
        Pruned(await ReduceAsync(index => new IndexCommand.Remove(reference, purge, StoreProbe.Gather(Layout, index, listStore: false)), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Drops records whose file is gone and those <paramref name="policy"/> selects; with <paramref name="purge"/>,
    /// deletes their store files and orphan files no record references (the seed's <c>Prune</c>). Also removes
    /// stale temp entries of dead processes, and the blobs and layout entries no kept record's image needs
    /// (<see cref="CollectBlobsAsync"/>, reported in <see cref="PruneResult.Blobs"/>).
    /// </summary>
    public async Task<PruneResult> PruneAsync(bool purge, RetentionPolicy policy, CancellationToken cancellationToken = default)
    {
        var result = Pruned(await ReduceAsync(index => new IndexCommand.Prune(purge, StoreProbe.Gather(Layout, index), Now, policy), cancellationToken).ConfigureAwait(false));
        await RecoverInterruptedWorkAsync(cancellationToken).ConfigureAwait(false);
        return result with { Blobs = await CollectBlobsAsync(cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>Re-hashes the baselines of every record (or of those <paramref name="reference"/> names) and reports each.</summary>
    public async Task<IReadOnlyList<VerifyEntry>> VerifyAsync(string? reference = null, CancellationToken cancellationToken = default)
    {
        var records = string.IsNullOrWhiteSpace(reference)
            ? await ListAsync(cancellationToken).ConfigureAwait(false)
            : await InspectAsync(reference, cancellationToken).ConfigureAwait(false);
        var hashes = new Dictionary<string, (string Sha256, long Size)?>(StringComparer.Ordinal);
        var entries = new List<VerifyEntry>();
        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            entries.Add(await VerifyOneAsync(record, hashes, cancellationToken).ConfigureAwait(false));
        }
        return entries;
    }

    static async Task<VerifyEntry> VerifyOneAsync(ImageRecord record, Dictionary<string, (string Sha256, long Size)?> hashes, CancellationToken cancellationToken)
    {
        if (record.OutputPath.Length == 0) return new VerifyEntry(record, VerifyStatus.Missing, "the record has no baseline path");
        if (!hashes.TryGetValue(record.OutputPath, out var measured))
        {
            measured = await MeasureAsync(record.OutputPath, cancellationToken).ConfigureAwait(false);
            hashes[record.OutputPath] = measured;
        }
        if (measured is null) return new VerifyEntry(record, VerifyStatus.Missing, $"{record.OutputPath} does not exist");
        if (!record.RootfsImmutable || record.RootfsSha256.Length != 64)
            return new VerifyEntry(record, VerifyStatus.Unsealed, "no sealed SHA-256 recorded");
        var (sha256, size) = measured.Value;
        if (record.SizeBytes > 0 && size != record.SizeBytes)
            return new VerifyEntry(record, VerifyStatus.Modified, $"size changed: recorded {record.SizeBytes} bytes, now {size}");
        if (!string.Equals(sha256, record.RootfsSha256, StringComparison.Ordinal))
            return new VerifyEntry(record, VerifyStatus.Modified, $"SHA-256 changed: recorded {record.RootfsSha256[..12]}…, now {sha256[..12]}…");
        var mode = File.GetUnixFileMode(record.OutputPath);
        const UnixFileMode anyWrite = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        if ((mode & anyWrite) != 0)
            return new VerifyEntry(record, VerifyStatus.Writable, $"mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')} has write bits");
        return new VerifyEntry(record, VerifyStatus.Ok, "");
    }

    static async Task<(string Sha256, long Size)?> MeasureAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return (Convert.ToHexStringLower(hash), stream.Length);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    Task<Reduction> ReduceAsync(IndexCommand command, CancellationToken cancellationToken) =>
        ReduceAsync(_ => command, cancellationToken);

    /// <summary>The sandwich. Facts are gathered under the lock; effects run after the index is written, still under the lock, so a concurrent publish of the same file cannot be deleted by mistake.</summary>
    async Task<Reduction> ReduceAsync(Func<ImageIndex, IndexCommand> commandFor, CancellationToken cancellationToken)
    {
        using var held = await Store.LockAsync(cancellationToken).ConfigureAwait(false);
        var current = Store.ReadForUpdate();
        var reduction = Index.Reduce(current, commandFor(current)).Match(r => r, error => throw ImageCacheException.From(error));
        Store.WriteIfChanged(current, reduction.Index);
        foreach (var effect in reduction.Effects)
            if (effect is IndexEffect.DeleteFile delete)
                StoreProbe.DeleteStoreFile(Layout, delete.Path);
        return reduction;
    }

    static Seq<ImageRecord> Records(Reduction reduction) =>
        reduction.Result is IndexResult.Records records ? records.Items : LanguageExt.Seq<ImageRecord>.Empty;

    static ImageRecord Single(Reduction reduction) => Records(reduction).Head;

    static PruneResult Pruned(Reduction reduction) =>
        reduction.Result is IndexResult.Pruned pruned ? pruned.Outcome : throw new InvalidOperationException("the reducer answered a remove or prune without a prune result");
}
