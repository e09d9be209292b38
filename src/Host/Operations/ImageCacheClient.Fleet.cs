using System.Security.Cryptography;
using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Core;
using ImageCache.Host.Blobs;
using ImageCache.Host.Fleet;
using ImageCache.Host.Plugins;
using ImageCache.Host.Storage;
using LanguageExt;
using Index = ImageCache.Core.Index;

namespace ImageCache.Host.Operations;

/// <summary>
/// Fleet sharing (docs/fleet.md): baselines published to and pulled from an OCI registry repository as
/// <see cref="BaselineArtifact"/>s, through the <see cref="IArtifactRegistry"/> the registry plugin provides.
/// </summary>
public sealed partial class ImageCacheClient
{
    /// <summary>The environment variable naming the shared cache repository when <c>--from</c> is not given.</summary>
    public const string SharedCacheVariable = "IMAGECACHE_SHARED_CACHE";

    /// <summary>
    /// <see cref="PullAsync"/>, then, with <see cref="PullRequest.PushToCache"/>, publishes the baseline to
    /// <see cref="PullRequest.CacheRepository"/> unless it came from there prebuilt.
    /// </summary>
    public async Task<ImageRecord> PullWithCacheAsync(PullRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PushToCache && string.IsNullOrWhiteSpace(request.CacheRepository))
            throw Fail($"--push-to-cache needs a cache repository (--from REPO or ${SharedCacheVariable})");
        var record = await PullAsync(request, progress, cancellationToken).ConfigureAwait(false);
        if (request.PushToCache && PrebuiltFrom(record).Length == 0)
        {
            var pushed = await PublishAsync(record, request.CacheRepository!.Trim(), request.Insecure, request.PluginDirectories, progress, cancellationToken).ConfigureAwait(false);
            progress?.Report($"published {pushed.Reference} ({pushed.Result.BlobsUploaded} blobs sent, {pushed.Result.BlobsSkipped} already there)");
        }
        return record;
    }

    /// <summary>
    /// <c>imagecache push REF DEST</c>: publishes the sealed baseline <paramref name="reference"/> names to the repository
    /// <paramref name="destination"/> (<c>HOST/NAME</c>), tagged <see cref="BaselineArtifact.Tag"/>. The file is re-hashed
    /// first: a baseline that no longer matches its seal is never published.
    /// </summary>
    public async Task<PublishedBaseline> PushAsync(string reference, string destination, bool insecure = false, IReadOnlyList<string>? pluginDirectories = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var record = await FindAsync(reference, Platform.Any, cancellationToken).ConfigureAwait(false);
        return await PublishAsync(record, destination.Trim(), insecure, pluginDirectories, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where a record's baseline came from prebuilt (<c>REPO@sha256:…</c>), or empty when it was built here.</summary>
    public static string PrebuiltFrom(ImageRecord record) =>
        record.Extensions.Find(BaselineArtifact.PrebuiltFromField).Bind(json =>
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.String ? Prelude.Some(document.RootElement.GetString()!) : Option<string>.None;
        }).IfNone("");

    async Task<PublishedBaseline> PublishAsync(ImageRecord record, string destination, bool insecure, IReadOnlyList<string>? pluginDirectories,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (destination.Length == 0) throw Fail("no cache repository given");
        if (!record.RootfsImmutable || record.RootfsSha256.Length != 64 || record.ContentKey.Length != 64 || record.Format.Length == 0)
            throw Fail($"{record.ImageRef} has no sealed baseline with a content key to publish (pull it again)");
        using var plugins = LoadPlugins(pluginDirectories);
        var artifacts = ArtifactRegistryOf(plugins);

        using var temp = new TempArea(Layout).Create("push");
        var compressed = Path.Combine(temp.Directory, "rootfs.zst");
        progress?.Report($"compressing {Path.GetFileName(record.OutputPath)}");
        string sha256, layerDigest;
        await using (var input = new FileStream(record.OutputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan))
        await using (var output = new FileStream(compressed, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
        {
            using var rawHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var zstd = new ZstdSharp.CompressionStream(output, 3, leaveOpen: true))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    rawHash.AppendData(buffer, 0, read);
                    await zstd.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            sha256 = Convert.ToHexStringLower(rawHash.GetHashAndReset());
        }
        if (sha256 != record.RootfsSha256)
            throw Fail($"{record.OutputPath} no longer matches its seal (SHA-256 {sha256[..12]}…, recorded {record.RootfsSha256[..12]}…); not publishing it");
        await using (var written = File.OpenRead(compressed))
            layerDigest = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(written, cancellationToken).ConfigureAwait(false));
        var layerSize = new FileInfo(compressed).Length;

        var config = BaselineArtifact.Config(record);
        var configDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config));
        var manifest = BaselineArtifact.Manifest(new BaselineArtifact.Facts(record, SourceManifestDescriptor(record.Digest)), (configDigest, config.Length), (layerDigest, layerSize));
        var blobs = new List<ArtifactBlob>
        {
            new(configDigest, config.Length, _ => ValueTask.FromResult<Stream>(new MemoryStream(config, writable: false))),
            new(layerDigest, layerSize, _ => ValueTask.FromResult<Stream>(new FileStream(compressed, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan))),
        };
        var tag = BaselineArtifact.Tag(record.ContentKey);
        progress?.Report($"pushing {destination}:{tag} ({layerSize} bytes compressed)");
        ArtifactPushResult result;
        try
        {
            result = await artifacts.PushAsync(new ArtifactPush(destination, blobs, manifest, BaselineArtifact.ManifestMediaType, [tag], insecure, null), cancellationToken).ConfigureAwait(false);
        }
        catch (ImageSourceException e) { throw Fail($"cannot publish to {destination}: {e.Message}", e); }
        return new PublishedBaseline($"{destination}@{result.ManifestDigest}", tag, result);
    }

    /// <summary>The source manifest's media type and size from the local blob store, for the artifact's <c>subject</c>; null when it is not there.</summary>
    (string MediaType, long Size)? SourceManifestDescriptor(string digest)
    {
        var blobs = new OciBlobStore(Layout);
        if (digest.Length == 0 || !blobs.Contains(digest)) return null;
        try
        {
            using var stream = blobs.OpenRead(digest);
            var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            using var document = JsonDocument.Parse(bytes.ToArray());
            var mediaType = document.RootElement.TryGetProperty("mediaType", out var type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()! : BaselineArtifact.ManifestMediaType;
            return (mediaType, bytes.Length);
        }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// The pull hook (after the content key is known, before building): with a cache repository, looks the key up; a
    /// found artifact is downloaded, verified (every blob digest, the config, <c>rootfs_sha256</c>), sealed and recorded
    /// with <c>prebuilt_from</c>. Anything wrong with the artifact or the cache is reported and the pull builds instead.
    /// </summary>
    async Task<ImageRecord?> TryPullPrebuiltAsync(PullRequest request, Provenance provenance, PluginRegistry registry,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.CacheRepository)) return null;
        var repository = request.CacheRepository.Trim();
        var artifacts = ArtifactRegistryOf(registry);
        var key = provenance.ContentKey;
        var tag = BaselineArtifact.Tag(key);
        var warn = progress is not null ? progress.Report : options.OnNotice ?? (_ => { });
        ArtifactManifest? manifest;
        try
        {
            manifest = await artifacts.GetManifestAsync(repository, tag, request.Insecure, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageSourceException e)
        {
            warn($"the shared cache {repository} cannot be read ({e.Message}); building");
            return null;
        }
        if (manifest is null)
        {
            progress?.Report($"no prebuilt baseline {key[..12]} in {repository}; building");
            return null;
        }

        var from = $"{repository}@{manifest.Digest}";
        using var temp = new TempArea(Layout).Create("prebuilt");
        string output, sha256;
        long size;
        try
        {
            var received = BaselineArtifact.Parse(manifest.Content, key, provenance.Format);
            var config = new MemoryStream();
            await artifacts.DownloadBlobAsync(repository, received.Config.Digest, received.Config.Size, request.Insecure, config, null, cancellationToken).ConfigureAwait(false);
            BaselineArtifact.CheckConfig(config.ToArray(), key, received.RootfsSha256);

            progress?.Report($"downloading prebuilt baseline {from}");
            var compressed = Path.Combine(temp.Directory, "rootfs.zst");
            await using (var file = new FileStream(compressed, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                await artifacts.DownloadBlobAsync(repository, received.Layer.Digest, received.Layer.Size, request.Insecure, file, null, cancellationToken).ConfigureAwait(false);

            output = Path.Combine(temp.Directory, "rootfs." + Path.GetExtension(provenance.OutputPath).TrimStart('.'));
            sha256 = await DecompressAsync(compressed, output, received.RootfsSize, cancellationToken).ConfigureAwait(false);
            if (sha256 != received.RootfsSha256)
                throw new InvalidDataException($"rootfs_sha256 mismatch: the artifact says {received.RootfsSha256[..12]}…, its layer holds {sha256[..12]}…");
            size = received.RootfsSize;
        }
        catch (Exception e) when (e is ImageSourceException or InvalidDataException or ZstdSharp.ZstdException)
        {
            warn($"rejected the prebuilt baseline {from}: {e.Message}; building instead");
            return null;
        }

        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var record = provenance.ToRecord(Now) with
        {
            RootfsSha256 = sha256,
            RootfsImmutable = true,
            SizeBytes = size,
        };
        record = record with { Extensions = record.Extensions.AddOrUpdate(BaselineArtifact.PrebuiltFromField, JsonSerializer.Serialize(from)) };
        using var held = await Store.LockAsync(cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Layout.RootfsDir, IndexStore.DirectoryMode);
        var current = Store.ReadForUpdate();
        File.Move(output, provenance.OutputPath, overwrite: true);
        var reduction = Index.Reduce(current, new IndexCommand.Upsert(KeepCreated(current, record)))
            .Match(r => r, error => throw ImageCacheException.From(error));
        Store.WriteIfChanged(current, reduction.Index);
        progress?.Report($"sealed {provenance.OutputPath} (prebuilt from {from})");
        return Single(reduction);
    }

    /// <summary>Decompresses the zstd layer, refusing more than <paramref name="expectedSize"/> bytes (no decompression bomb); returns the SHA-256 of the output.</summary>
    static async Task<string> DecompressAsync(string compressed, string output, long expectedSize, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(compressed, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var zstd = new ZstdSharp.DecompressionStream(input);
        await using var file = new FileStream(output, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await zstd.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > expectedSize) throw new InvalidDataException($"the layer decompresses to more than the {expectedSize} bytes the artifact declares");
            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        if (total != expectedSize) throw new InvalidDataException($"the layer decompresses to {total} bytes, the artifact declares {expectedSize}");
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The artifact transport of the registry plugin (keyed <c>docker</c>).</summary>
    static IArtifactRegistry ArtifactRegistryOf(PluginRegistry registry)
    {
        IArtifactRegistry? found;
        try
        {
            found = registry.FindArtifactRegistry(RegistryTransport);
        }
        catch (PluginServiceNotFoundException e) { throw Fail(e.Message, e); }
        return found ?? throw Fail($"no loaded plugin provides registry artifacts (IArtifactRegistry '{RegistryTransport}'); the registry plugin ImageCache.Fetchers.Registry is needed for fleet sharing"
                                   + (registry.FindFetcher(RegistryTransport) is { } fetcher ? $" (plugin {fetcher.PluginName} is loaded but offers none)" : ""));
    }

    /// <summary>The plugins of <paramref name="directories"/> (null: the default ones), for operations other than pull; loaded as they are used.</summary>
    PluginRegistry LoadPlugins(IReadOnlyList<string>? directories)
    {
        directories ??= PluginCatalog.DefaultDirectories(AppContext.BaseDirectory, Layout.Root, [], Environment.GetEnvironmentVariable("IMAGECACHE_PLUGINS"));
        return new PluginCatalog(directories).Open(Layout.PluginCacheFile);
    }
}
