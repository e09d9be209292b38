using System.Buffers;
using ImageCache.Contracts;
using ImageCache.Host.Storage;

namespace ImageCache.Host.Blobs;

/// <summary>
/// The content-addressed blob store over an OCI image layout (<c>state/oci</c>, DESIGN §3, oci-rules §3.7).
/// A blob is streamed into <c>ingest/</c> (same filesystem), hashed while copied, checked against the expected
/// digest and size, flushed to disk and only then renamed to <c>blobs/&lt;alg&gt;/&lt;hex&gt;</c>: a visible blob is
/// always complete and verified. Stored blobs are mode 0444 (immutable; the layout directory itself is 0700,
/// so nobody else can reach them). The layout skeleton is created on the first write, never by a read.
/// Safe for concurrent use by several tasks and processes: writers of the same blob race only on an atomic rename
/// of identical content.
/// </summary>
public sealed class OciBlobStore : IBlobStore
{
    /// <summary>Mode of a stored blob: read-only for everyone (content-addressed, never rewritten).</summary>
    public const UnixFileMode BlobMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Name of the in-flight area inside the layout (the name oras uses; other OCI tools ignore it).</summary>
    public const string IngestDirName = "ingest";

    const int BufferSize = 1 << 17;

    /// <summary>A store over the layout directory <paramref name="layoutDir"/> (usually <see cref="StateLayout.OciDir"/>).</summary>
    public OciBlobStore(string layoutDir) => LayoutDir = Path.GetFullPath(layoutDir);

    /// <summary>A store over <c>state/oci</c>.</summary>
    public OciBlobStore(StateLayout layout) : this(layout.OciDir) { }

    /// <summary>The OCI image layout directory.</summary>
    public string LayoutDir { get; }

    /// <summary>The directory holding temp files of writes in progress.</summary>
    public string IngestDir => Path.Combine(LayoutDir, IngestDirName);

    /// <summary>The path a blob has (or would have) in the layout.</summary>
    /// <exception cref="ImageSourceException">The digest is malformed or unsupported.</exception>
    public string BlobPath(string digest)
    {
        var (algorithm, hex) = OciDigest.Parse(digest);
        return Path.Combine(LayoutDir, "blobs", algorithm, hex);
    }

    /// <inheritdoc />
    public bool Contains(string digest) => File.Exists(BlobPath(digest));

    /// <summary>The size of a stored blob, or null when it is not present.</summary>
    public long? SizeOf(string digest)
    {
        var info = new FileInfo(BlobPath(digest));
        return info.Exists ? info.Length : null;
    }

    /// <inheritdoc />
    public Stream OpenRead(string digest)
    {
        var path = BlobPath(digest);
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, BufferSize = BufferSize,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"blob {digest} is not in {LayoutDir}", path, e);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"blob {digest} is not in {LayoutDir}", path, e);
        }
    }

    /// <summary>
    /// Copies <paramref name="content"/> into the store after verifying it. When <paramref name="expectedDigest"/> is
    /// given and that blob is already present, <paramref name="content"/> is not read at all (the caller may skip a
    /// download by checking <see cref="Contains"/> first, but need not). Without an expected digest the content is
    /// hashed with sha256. A too-long stream is stopped as soon as it passes <paramref name="expectedSize"/>.
    /// </summary>
    /// <exception cref="ImageSourceException">Digest or size mismatch, or a malformed/unsupported digest; nothing is stored and no temp file is left.</exception>
    public async Task<string> PutAsync(Stream content, string? expectedDigest, long? expectedSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (expectedSize is < 0) throw new ArgumentOutOfRangeException(nameof(expectedSize), expectedSize, "a blob size cannot be negative");
        var algorithm = OciDigest.DefaultAlgorithm;
        if (expectedDigest is not null)
        {
            algorithm = OciDigest.Parse(expectedDigest).Algorithm;
            var existing = BlobPath(expectedDigest);
            if (File.Exists(existing))
            {
                CheckStoredSize(existing, expectedDigest, expectedSize);
                return expectedDigest;
            }
        }

        OciLayoutScaffold.Ensure(LayoutDir);
        Directory.CreateDirectory(IngestDir, IndexStore.DirectoryMode);
        var temp = Path.Combine(IngestDir, $"{Environment.ProcessId}-{Guid.NewGuid():N}.partial");
        try
        {
            string actual;
            using (var hash = OciDigest.CreateHash(algorithm))
            await using (var output = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = IndexStore.FileMode600,
                BufferSize = 0, Options = FileOptions.Asynchronous,
            }))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                long total = 0;
                try
                {
                    while (true)
                    {
                        var read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false);
                        if (read == 0) break;
                        total += read;
                        if (expectedSize is { } limit && total > limit)
                            throw new ImageSourceException(
                                $"blob {expectedDigest ?? "(no digest given)"} is larger than expected: more than {limit} bytes arrived (expected size {limit}); nothing stored");
                        hash.AppendData(buffer, 0, read);
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                }
                finally { ArrayPool<byte>.Shared.Return(buffer); }

                actual = OciDigest.Format(algorithm, hash.GetHashAndReset());
                if (expectedSize is { } size && total != size)
                    throw new ImageSourceException(
                        $"blob {expectedDigest ?? actual} has the wrong size: expected {size} bytes, got {total} (actual digest {actual}); nothing stored");
                if (expectedDigest is not null && !string.Equals(actual, expectedDigest, StringComparison.Ordinal))
                    throw new ImageSourceException(
                        $"digest mismatch: expected {expectedDigest}, got {actual} ({total} bytes); nothing stored");
                output.Flush(flushToDisk: true);
            }

            var target = BlobPath(actual);
            if (File.Exists(target)) return actual; // another writer (task or process) got there first
            File.SetUnixFileMode(temp, BlobMode);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!, IndexStore.DirectoryMode); // sha512/ is not in the scaffold
            try { File.Move(temp, target, overwrite: false); }
            catch (IOException) when (File.Exists(target)) { return actual; }
            Libc.FsyncDirectory(Path.GetDirectoryName(target)!);
            return actual;
        }
        finally
        {
            OciLayoutScaffold.TryDelete(temp); // gone after a successful move; removes it after any failure or cancellation
        }
    }

    /// <summary>Re-hashes a stored blob. True when its content matches its name.</summary>
    /// <exception cref="FileNotFoundException">The blob is not present.</exception>
    public async Task<bool> VerifyAsync(string digest, CancellationToken cancellationToken)
    {
        var algorithm = OciDigest.Parse(digest).Algorithm;
        await using var stream = OpenRead(digest);
        using var hash = OciDigest.CreateHash(algorithm);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                hash.AppendData(buffer, 0, read);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return string.Equals(OciDigest.Format(algorithm, hash.GetHashAndReset()), digest, StringComparison.Ordinal);
    }

    /// <summary>Removes a blob. True when it was present. Readers that already opened it keep reading it.</summary>
    public bool Delete(string digest)
    {
        var path = BlobPath(digest);
        if (!File.Exists(path)) return false;
        try { File.Delete(path); return true; }
        catch (FileNotFoundException) { return false; }
        catch (DirectoryNotFoundException) { return false; }
    }

    /// <summary>Every stored blob: (digest, size, last write time). Files whose names are not valid digests are skipped.</summary>
    public IEnumerable<(string Digest, long Size, DateTime LastWriteUtc)> EnumerateBlobs()
    {
        var blobs = Path.Combine(LayoutDir, "blobs");
        if (!Directory.Exists(blobs)) yield break;
        foreach (var algorithmDir in new DirectoryInfo(blobs).EnumerateDirectories())
        {
            foreach (var file in algorithmDir.EnumerateFiles())
            {
                var digest = $"{algorithmDir.Name}:{file.Name}";
                if (!OciDigest.IsValid(digest)) continue;
                yield return (digest, file.Length, file.LastWriteTimeUtc);
            }
        }
    }

    static void CheckStoredSize(string path, string digest, long? expectedSize)
    {
        if (expectedSize is not { } size) return;
        var actual = new FileInfo(path).Length;
        if (actual != size)
            throw new ImageSourceException($"blob {digest} has the wrong size: expected {size} bytes, the stored blob has {actual}");
    }
}
