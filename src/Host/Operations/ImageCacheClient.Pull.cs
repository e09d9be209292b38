using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Core;
using ImageCache.Core.Layers;
using ImageCache.Host.Blobs;
using ImageCache.Host.Fleet;
using ImageCache.Host.Layers;
using ImageCache.Host.Plugins;
using ImageCache.Host.Storage;
using LanguageExt;
using LanguageExt.ClassInstances;
using Index = ImageCache.Core.Index;

namespace ImageCache.Host.Operations;

public sealed partial class ImageCacheClient
{
    /// <summary>
    /// Pulls <see cref="PullRequest.Source"/> into the blob store and builds (or reuses) its sealed baseline under
    /// <c>images/rootfs/&lt;content key&gt;.&lt;ext&gt;</c>, then adds or refreshes its index record (DESIGN §2).
    /// On failure or cancellation nothing is published and the index is unchanged. Two processes pulling the same
    /// content build it once (a lock per content key); what a killed pull left is cleaned up when the next one starts.
    /// <paramref name="progress"/> gets a line per phase, and also the fetchers' <see cref="TransferProgress"/>, the
    /// builder's <see cref="BuildProgress"/> and <see cref="PullBuildStarted"/> when it implements
    /// <c>IProgress&lt;T&gt;</c> of those too.
    /// </summary>
    public async Task<ImageRecord> PullAsync(PullRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var source = request.Source.Trim();
        if (source.Length == 0) throw Fail("no source given");

        PlatformSpec? platformSpec = null;
        if (!string.IsNullOrWhiteSpace(request.Platform))
        {
            var parsed = Platform.Parse(request.Platform).Match(p => p, error => throw ImageCacheException.From(error));
            platformSpec = new PlatformSpec(parsed.Os, parsed.Architecture, parsed.Variant);
        }
        if (request.SizeMiB is <= 0) throw Fail($"--size-mib must be positive (got {request.SizeMiB})");

        var directories = request.PluginDirectories ?? PluginCatalog.DefaultDirectories(AppContext.BaseDirectory, Layout.Root, [], Environment.GetEnvironmentVariable("IMAGECACHE_PLUGINS"));
        // Only the plugins this pull uses are loaded: the fetcher now, the builder when there is something to build.
        using var registry = new PluginCatalog(directories).Open(Layout.PluginCacheFile);

        var (transport, location) = SplitSource(source, registry);
        IImageFetcher fetcher;
        try
        {
            fetcher = registry.GetFetcher(transport);
        }
        catch (PluginServiceNotFoundException e) { throw Fail(e.Message, e); }
        var builderDescriptor = ChooseBuilder(registry, request.Builder, request.Format);

        Store.EnsureDirectories();
        registry.SaveCache(); // the first pull into a new state directory: the cache could not be written before it existed
        await RecoverInterruptedWorkAsync(cancellationToken).ConfigureAwait(false);
        var blobs = new OciBlobStore(Layout);
        using var blobsInUse = await HoldBlobsForPullAsync(cancellationToken).ConfigureAwait(false); // until the record is written: prune collects no blobs meanwhile
        // With a shared cache the image is resolved first, layers left out: a prebuilt baseline needs none of them
        // (ImageCacheClient.ResolveFirst.cs). Without one, or from a fetcher that fetches everything anyway, this is the whole fetch.
        var resolveFirst = !string.IsNullOrWhiteSpace(request.CacheRepository);
        progress?.Report(resolveFirst ? $"resolving {source}" : $"fetching {source}");
        var fetchRequest = new FetchRequest(location, platformSpec, blobs, request.Insecure, progress as IProgress<TransferProgress>) { LayersNeeded = !resolveFirst };
        var fetched = await FetchAsync(fetcher, fetchRequest, cancellationToken).ConfigureAwait(false);
        var layersStored = HasAllLayers(blobs, fetched);
        if (layersStored) await RecordInLayoutAsync(blobs, fetched, transport, location, cancellationToken).ConfigureAwait(false);

        var platform = new Platform(fetched.Platform.Os, fetched.Platform.Architecture, fetched.Platform.Variant);
        var init = await GuestInit.ResolveAsync(request.InitFile, request.InitPath, cancellationToken).ConfigureAwait(false);
        var options = BuildOptions.Default with
        {
            SizeMiB = request.SizeMiB is { } size ? Prelude.Some(size) : Option<long>.None,
            AllowSetuid = request.AllowSetuid,
            InitSha256 = init?.Sha256 ?? "",
            InitPath = init?.ImagePath ?? BuildOptions.Default.InitPath,
            Journal = request.Journal,
        };
        var contentKey = ContentKey.Compute(fetched.ManifestDigest, platform, builderDescriptor.Name, options);
        var finalPath = Layout.RootfsPath(contentKey, builderDescriptor.Extension);
        var (env, entrypoint, cmd, imageConfig) = ReadConfig(blobs, fetched.ConfigDigest);
        var provenance = new Provenance
        {
            ImageRef = source,
            ResolvedRef = fetched.ResolvedReference,
            Digest = fetched.ManifestDigest,
            IndexDigest = fetched.IndexDigest ?? "",
            Platform = platform,
            OutputPath = finalPath,
            Format = builderDescriptor.Format,
            Builder = builderDescriptor.Name,
            Source = transport,
            ContentKey = contentKey,
            LayerDigests = Prelude.toSeq(fetched.Layers.Select(l => l.Digest).ToArray()),
            ImageEnv = env,
            ImageConfig = imageConfig,
            ImageEntrypoint = entrypoint,
            ImageCmd = cmd,
            Options = options,
        };

        // A sealed baseline with this key already exists: refresh the record, no build.
        if (await TryReuseAsync(provenance, finalPath, cancellationToken).ConfigureAwait(false) is { } reused)
        {
            progress?.Report($"baseline {Path.GetFileName(finalPath)} is already built");
            return reused;
        }

        // Another process may be building this very key: wait for it, then reuse what it published.
        using var buildLock = await HoldBuildLockAsync(contentKey, progress, cancellationToken).ConfigureAwait(false);
        if (await TryReuseAsync(provenance, finalPath, cancellationToken).ConfigureAwait(false) is { } builtMeanwhile)
        {
            progress?.Report($"baseline {Path.GetFileName(finalPath)} was built by another process meanwhile");
            return builtMeanwhile;
        }

        // Fleet sharing: a prebuilt baseline for this key in the shared cache (ImageCacheClient.Fleet.cs).
        if (await TryPullPrebuiltAsync(request, provenance, registry, progress, cancellationToken).ConfigureAwait(false) is { } prebuilt) return prebuilt;
        IFilesystemBuilder builder;
        try
        {
            builder = registry.GetBuilder(builderDescriptor.Name);
        }
        catch (PluginServiceNotFoundException e) { throw Fail(e.Message, e); }
        if (!layersStored)
        {
            fetched = await FetchLayersAsync(fetcher, fetchRequest, transport, fetched, progress, cancellationToken).ConfigureAwait(false);
            await RecordInLayoutAsync(blobs, fetched, transport, location, cancellationToken).ConfigureAwait(false);
        }

        using var temp = new TempArea(Layout).Create("pull");
        using var layerData = new LayerData();
        try
        {
            var spool = Path.Combine(temp.Directory, "data");
            Directory.CreateDirectory(spool);
            if (fetched.Layers.Count == 0) throw Fail("the image has no layers");
            var layers = new List<Seq<LayerEntry>>(fetched.Layers.Count + 1);
            var limits = request.Limits ?? ExtractionLimits.Default;
            var budget = new ExtractionBudget(
                limits.MaxExpandedBytes ?? (request.SizeMiB is { } pinned ? pinned * 1024 * 1024 : ExtractionLimits.DefaultMaxExpandedBytes),
                limits.MaxEntries, limits.MaxPathDepth,
                limits.MaxExpandedBytes is not null ? "the extraction limit" : request.SizeMiB is not null ? "the pinned --size-mib" : "the 32 GiB extraction limit");
            for (var i = 0; i < fetched.Layers.Count; i++)
            {
                progress?.Report($"reading layer {i + 1}/{fetched.Layers.Count} {fetched.Layers[i].Digest}");
                layers.Add(await ReadLayerAsync(blobs, fetched.Layers[i], i, spool, layerData, budget, cancellationToken).ConfigureAwait(false));
            }
            // The guest init goes in as one more layer, so it lands like any entry (through symlinked parents such as
            // a merged-usr /sbin → usr/sbin, inside the image) and replaces whatever the image had there.
            if (init is not null) layers.Add(await init.AsLayerAsync(layers.Count, spool, cancellationToken).ConfigureAwait(false));
            var tree = LayerMerge.Apply(Prelude.toSeq(layers), request.AllowSetuid ? MergeOptions.AllowSetuid : MergeOptions.Default)
                .Match(t => t, error => throw Fail($"cannot merge the layers: {error.Message}"));
            tree = GuestLayout.WithRuntimeDirectories(tree);
            if (tree.StrippedSetuidCount > 0)
                progress?.Report($"stripped setuid/setgid bits from {tree.StrippedSetuidCount} entries (use --allow-setuid to keep them)");

            var output = Path.Combine(temp.Directory, "rootfs." + builderDescriptor.Extension);
            progress?.Report($"building {builderDescriptor.Format} with {builderDescriptor.Name}");
            Report(progress, new PullBuildStarted(builderDescriptor.Name, builderDescriptor.Format, tree.EntryCount, tree.RegularFileBytes));
            var buildRequest = new BuildRequest(output, request.SizeMiB * 1024 * 1024, contentKey, tree.RegularFileBytes, tree.EntryCount,
                BuilderOptions(request), progress as IProgress<BuildProgress>);
            try
            {
                await builder.BuildAsync(buildRequest, Entries(tree, spool, layerData), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not ImageCacheException) { throw Fail($"{builderDescriptor.Name} build failed: {e.Message}", e); }
            if (!File.Exists(output)) throw Fail($"the {builderDescriptor.Name} builder wrote no image");

            // Seal.
            string sha256;
            long length;
            await using (var stream = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
                length = stream.Length;
            }
            File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var record = provenance.ToRecord(Now) with { RootfsSha256 = sha256, RootfsImmutable = true, SizeBytes = length };
            using var held = await Store.LockAsync(cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Layout.RootfsDir, IndexStore.DirectoryMode);
            var current = Store.ReadForUpdate();
            MarkPublishing(temp.Directory, finalPath);
            File.Move(output, finalPath, overwrite: true);
            Reduction reduction;
            try
            {
                reduction = Index.Reduce(current, new IndexCommand.Upsert(KeepCreated(current, record)))
                    .Match(r => r, error => throw ImageCacheException.From(error));
                Store.WriteIfChanged(current, reduction.Index);
            }
            catch
            {
                UnpublishUnrecorded(current, finalPath); // the index write failed: publish nothing
                throw;
            }
            progress?.Report($"sealed {finalPath}");
            return Single(reduction);
        }
        catch (Exception e) when (e is InvalidDataException) { throw Fail(e.Message, e); }
    }

    async Task<ImageRecord?> TryReuseAsync(Provenance provenance, string finalPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(finalPath)) return null;
        using var held = await Store.LockAsync(cancellationToken).ConfigureAwait(false);
        var current = Store.ReadForUpdate();
        var existing = current.Images.Find(r => r.OutputPath == finalPath && r.RootfsImmutable && r.RootfsSha256.Length == 64);
        if (existing.IsNone || !File.Exists(finalPath)) return null;
        var sealedRecord = (ImageRecord)existing;
        var record = provenance.ToRecord(Now) with
        {
            RootfsSha256 = sealedRecord.RootfsSha256,
            RootfsImmutable = true,
            SizeBytes = sealedRecord.SizeBytes,
        };
        // The same bytes: a baseline that came prebuilt stays marked so (its layers may not be in the blob store).
        if (sealedRecord.Extensions.Find(BaselineArtifact.PrebuiltFromField).Case is string prebuiltFrom)
            record = record with { Extensions = record.Extensions.AddOrUpdate(BaselineArtifact.PrebuiltFromField, prebuiltFrom) };
        var reduction = Index.Reduce(current, new IndexCommand.Upsert(KeepCreated(current, record)))
            .Match(r => r, error => throw ImageCacheException.From(error));
        Store.WriteIfChanged(current, reduction.Index);
        return Single(reduction);
    }

    /// <summary>Keeps the creation time of the record this one replaces (same reference and platform).</summary>
    static ImageRecord KeepCreated(ImageIndex index, ImageRecord record)
    {
        var previous = index.Images.Find(r => string.Equals(r.ImageRef, record.ImageRef, StringComparison.Ordinal)
                                              && string.Equals(r.Platform.ToString(), record.Platform.ToString(), StringComparison.Ordinal));
        return previous.Match(p => p.CreatedAt.IsSome ? record with { CreatedAt = p.CreatedAt } : record, () => record);
    }

    static ImageCacheException Fail(string message, Exception? inner = null) => new(HostErrorCodes.PullFailed, message, inner);

    /// <summary>The parts of the image config a VM launcher needs: env, entrypoint, cmd, and user, working dir, stop signal, labels, ports and volumes (sorted).</summary>
    static (Seq<string> Env, Seq<string> Entrypoint, Seq<string> Cmd, Option<ImageConfig> Config) ReadConfig(OciBlobStore blobs, string configDigest)
    {
        try
        {
            using var stream = blobs.OpenRead(configDigest);
            using var json = JsonDocument.Parse(stream);
            if (!json.RootElement.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
                return (Seq<string>.Empty, Seq<string>.Empty, Seq<string>.Empty, Option<ImageConfig>.None);
            var labels = Map<OrdStringOrdinal, string, string>.Empty;
            if (config.TryGetProperty("Labels", out var labelObject) && labelObject.ValueKind == JsonValueKind.Object)
                foreach (var label in labelObject.EnumerateObject())
                    if (label.Value.ValueKind == JsonValueKind.String) labels = labels.AddOrUpdate(label.Name, label.Value.GetString()!);
            var imageConfig = new ImageConfig(Text(config, "User"), Text(config, "WorkingDir"), Text(config, "StopSignal"), labels,
                Keys(config, "ExposedPorts"), Keys(config, "Volumes"));
            return (Strings(config, "Env"), Strings(config, "Entrypoint"), Strings(config, "Cmd"), Prelude.Some(imageConfig));
        }
        catch (JsonException e) { throw Fail($"the image config {configDigest} is not valid JSON: {e.Message}", e); }

        static string Text(JsonElement config, string name) =>
            config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

        // ExposedPorts and Volumes are objects whose keys are the values ({"80/tcp": {}}).
        static Seq<string> Keys(JsonElement config, string name) =>
            config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
                ? Prelude.toSeq(value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray())
                : Seq<string>.Empty;

        static Seq<string> Strings(JsonElement config, string name) =>
            config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
                ? Prelude.toSeq(value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToArray())
                : Seq<string>.Empty;
    }

    /// <summary>
    /// Reads one layer's headers in one pass and checks the DiffID. File data stays in one tar per layer
    /// (<see cref="LayerData"/>): the blob itself when it is an uncompressed tar, else <c>spool/&lt;layer&gt;.tar</c>,
    /// written while the layer is decompressed.
    /// </summary>
    static async Task<Seq<LayerEntry>> ReadLayerAsync(OciBlobStore blobs, LayerDescriptor layer, int layerIndex, string spool, LayerData layerData, ExtractionBudget budget, CancellationToken cancellationToken)
    {
        var raw = blobs.OpenRead(layer.Digest);
        var magic = new byte[4];
        var got = await raw.ReadAtLeastAsync(magic, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        raw.Seek(0, SeekOrigin.Begin);
        Stream decompressed;
        if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) decompressed = new GZipStream(raw, CompressionMode.Decompress);
        // zstd frame magic 28 b5 2f fd (OCI +zstd layers, and BuildKit's non-standard docker zstd type).
        else if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
            decompressed = new ZstdSharp.DecompressionStream(raw, leaveOpen: false);
        else decompressed = raw;

        await using var hashing = new HashingReadStream(decompressed);
        var entries = new List<LayerEntry>();
        var offsets = new List<long>();
        var inPlace = ReferenceEquals(decompressed, raw) && raw is FileStream;
        // The data of a compressed layer is kept as it is decompressed, in one file; an uncompressed blob is read in place.
        var spoolTar = inPlace ? null : new FileStream(Path.Combine(spool, $"{layerIndex}.tar"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.Read, BufferSize = 1 << 20,
        });
        try
        {
            var counted = new TeeReadStream(hashing, spoolTar);
            await using (var reader = new TarReader(counted, leaveOpen: true))
            {
                var index = 0;
                while (await reader.GetNextEntryAsync(cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var header = entry.Header;
                    var dataRef = new DataRef(layerIndex, index);
                    if (budget.Admit(header.Name, header.Kind == TarEntryKind.RegularFile ? header.Size : 0) is { } refusal)
                        throw Fail($"layer {layer.Digest}: {refusal}; nothing was built");
                    offsets.Add(counted.Position); // the reader reads whole 512-byte blocks: the entry's data starts here
                    var xattrs = Map<OrdStringOrdinal, string, byte[]>.Empty;
                    foreach (var (key, value) in header.Xattrs) xattrs = xattrs.AddOrUpdate(key, value);
                    entries.Add(new LayerEntry
                    {
                        Name = header.Name,
                        Kind = header.Kind switch
                        {
                            TarEntryKind.RegularFile => LayerEntryKind.File,
                            TarEntryKind.Directory => LayerEntryKind.Directory,
                            TarEntryKind.SymbolicLink => LayerEntryKind.Symlink,
                            TarEntryKind.HardLink => LayerEntryKind.HardLink,
                            TarEntryKind.CharacterDevice => LayerEntryKind.CharDevice,
                            TarEntryKind.BlockDevice => LayerEntryKind.BlockDevice,
                            TarEntryKind.Fifo => LayerEntryKind.Fifo,
                            _ => throw Fail($"layer {layer.Digest}: unsupported entry type {header.Kind} for {header.Name}"),
                        },
                        Mode = header.Mode,
                        Uid = header.Uid,
                        Gid = header.Gid,
                        ModifiedTime = header.ModifiedTime,
                        Xattrs = xattrs,
                        LinkTarget = header.LinkName,
                        DeviceMajor = header.DevMajor,
                        DeviceMinor = header.DevMinor,
                        Size = header.Kind == TarEntryKind.RegularFile ? header.Size : 0,
                        DataRef = dataRef,
                    });
                    index++;
                }
            }
            var diffId = await hashing.FinishAsync(cancellationToken).ConfigureAwait(false);
            if (layer.DiffId is { Length: > 0 } expected && !string.Equals(expected, diffId, StringComparison.Ordinal))
                throw Fail($"layer {layer.Digest} does not match its diff_id: expected {expected}, got {diffId}");
            if (spoolTar is not null) await spoolTar.FlushAsync(cancellationToken).ConfigureAwait(false);
            // The handle outlives the streams (disposed with layerData): the builder reads entries with pread on it.
            var dataFile = File.OpenHandle(inPlace ? ((FileStream)raw).Name : spoolTar!.Name, FileMode.Open, FileAccess.Read, FileShare.Read);
            layerData.Add(layerIndex, dataFile, offsets.ToArray());
            return Prelude.toSeq(entries.ToArray());
        }
        // A corrupt or cut tar (or gzip/zstd stream) names the layer it is in: an image has several.
        catch (InvalidDataException e) { throw Fail($"layer {layer.Digest}: {e.Message}", e); }
        finally
        {
            if (spoolTar is not null) await spoolTar.DisposeAsync().ConfigureAwait(false);
        }
    }

    static async IAsyncEnumerable<FilesystemEntry> Entries(MergedTree tree, string spool, LayerData layerData)
    {
        foreach (var entry in tree.Entries)
        {
            await Task.CompletedTask.ConfigureAwait(false);
            var xattrs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (key, value) in entry.Xattrs) xattrs[key] = value;
            var kind = entry.Kind switch
            {
                LayerEntryKind.File => FilesystemEntryKind.RegularFile,
                LayerEntryKind.Directory => FilesystemEntryKind.Directory,
                LayerEntryKind.Symlink => FilesystemEntryKind.SymbolicLink,
                LayerEntryKind.HardLink => FilesystemEntryKind.HardLink,
                LayerEntryKind.CharDevice => FilesystemEntryKind.CharacterDevice,
                LayerEntryKind.BlockDevice => FilesystemEntryKind.BlockDevice,
                _ => FilesystemEntryKind.Fifo,
            };
            Func<CancellationToken, ValueTask<Stream>>? open = null;
            if (kind == FilesystemEntryKind.RegularFile)
            {
                var (data, size) = (entry.DataRef, entry.Size);
                open = _ => ValueTask.FromResult(layerData.Open(spool, data, size));
            }
            yield return new FilesystemEntry(entry.Path == PathRules.Root ? "" : entry.Path, kind, entry.Mode, entry.Uid, entry.Gid, entry.ModifiedTime, xattrs,
                entry.LinkTarget.Length > 0 ? entry.LinkTarget : null, (int)entry.DeviceMajor, (int)entry.DeviceMinor, entry.Size, open);
        }
    }

    /// <summary>The registry transport: <c>docker://REF</c>, and any source whose prefix is not a known transport (DESIGN §8).</summary>
    public const string RegistryTransport = "docker";

    /// <summary>
    /// Splits SOURCE into (transport, location): <c>docker://REF</c> → (docker, REF); <c>NAME:REST</c> where NAME is a
    /// loaded fetcher's transport → (NAME, REST); anything else is a bare registry reference (<c>busybox</c>,
    /// <c>busybox:1.36</c>, <c>localhost:5000/x</c>) → (docker, SOURCE).
    /// </summary>
    static (string Transport, string Location) SplitSource(string source, PluginRegistry registry)
    {
        if (source.StartsWith("docker://", StringComparison.Ordinal)) return (RegistryTransport, source["docker://".Length..]);
        var colon = source.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && source[..colon] is var prefix && prefix != RegistryTransport && registry.FindFetcher(prefix) is not null)
            return (prefix, source[(colon + 1)..]);
        return (RegistryTransport, source);
    }
}
