using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageCache.Host.Storage;

namespace ImageCache.Host.Blobs;

/// <summary>
/// The image references of an OCI layout: the entries of its <c>index.json</c> tagged with
/// <c>org.opencontainers.image.ref.name</c>. Changes are read-modify-write under <c>index.json.lock</c> (a cross-process
/// <see cref="FileLock"/>) and written atomically (temp file, fsync, rename). Fields this code does not know —
/// at the top level, in entries and in annotations — are kept as they are.
/// </summary>
public sealed class OciLayoutIndex
{
    /// <summary>The annotation naming a tag in a layout's <c>index.json</c>.</summary>
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>An index over the layout directory <paramref name="layoutDir"/>.</summary>
    public OciLayoutIndex(string layoutDir) => LayoutDir = Path.GetFullPath(layoutDir);

    /// <summary>The OCI image layout directory.</summary>
    public string LayoutDir { get; }

    /// <summary><c>index.json</c>.</summary>
    public string IndexFile => Path.Combine(LayoutDir, OciLayoutScaffold.IndexFileName);

    /// <summary><c>index.json.lock</c>, next to it.</summary>
    public string LockFile => IndexFile + ".lock";

    /// <summary>
    /// Records <paramref name="descriptor"/> under <paramref name="refName"/>. An entry that already has this ref.name is
    /// replaced in place (keeping its position); otherwise the entry is appended. Creates the layout skeleton if needed.
    /// </summary>
    public async Task AddManifestAsync(OciDescriptor descriptor, string refName, CancellationToken cancellationToken, Action<string>? onWaiting = null)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentException.ThrowIfNullOrEmpty(refName);
        OciDigest.Parse(descriptor.Digest);
        await UpdateAsync(manifests =>
        {
            var entry = ToJson(descriptor, refName);
            // A warm pull names the same manifest again: leave the file alone (no rewrite, no fsync).
            if (manifests.Count(m => RefNameOf(m) == refName) == 1 && manifests.Any(m => RefNameOf(m) == refName && JsonNode.DeepEquals(m, entry))) return false;
            var replaced = false;
            for (var i = 0; i < manifests.Count; i++)
            {
                if (RefNameOf(manifests[i]) != refName) continue;
                if (!replaced) { manifests[i] = entry; replaced = true; }
                else { manifests.RemoveAt(i); i--; } // a hand-edited file with a duplicate ref.name: keep one
            }
            if (!replaced) manifests.Add(entry);
            return true;
        }, cancellationToken, onWaiting).ConfigureAwait(false);
    }

    /// <summary>Removes the entries named <paramref name="refName"/>. True when there was one.</summary>
    public Task<bool> RemoveAsync(string refName, CancellationToken cancellationToken, Action<string>? onWaiting = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(refName);
        return UpdateAsync(manifests =>
        {
            var removed = false;
            for (var i = manifests.Count - 1; i >= 0; i--)
            {
                if (RefNameOf(manifests[i]) != refName) continue;
                manifests.RemoveAt(i);
                removed = true;
            }
            return removed;
        }, cancellationToken, onWaiting, createLayout: false);
    }

    /// <summary>Removes every entry whose digest is in <paramref name="digests"/> (named or not). Returns how many were removed.</summary>
    public async Task<int> RemoveDigestsAsync(IReadOnlySet<string> digests, CancellationToken cancellationToken, Action<string>? onWaiting = null)
    {
        ArgumentNullException.ThrowIfNull(digests);
        var count = 0;
        // No early return for an empty set: prune's collection is what takes the layout lock when nothing else
        // does, and under it the temp files of killed writers are removed (UpdateAsync writes nothing unchanged).
        await UpdateAsync(manifests =>
        {
            for (var i = manifests.Count - 1; i >= 0; i--)
            {
                if (manifests[i] is not JsonObject entry || GetString(entry, "digest") is not { } digest || !digests.Contains(digest)) continue;
                manifests.RemoveAt(i);
                count++;
            }
            return count > 0;
        }, cancellationToken, onWaiting, createLayout: false).ConfigureAwait(false);
        return count;
    }

    /// <summary>
    /// The entries of <c>index.json</c> in file order (empty when the layout does not exist yet). Reads without the lock:
    /// writers replace the file atomically. Entries without a usable digest are skipped.
    /// </summary>
    /// <exception cref="ImageCacheException"><c>index.json</c> does not parse.</exception>
    public IReadOnlyList<OciIndexEntry> List()
    {
        var root = Read();
        var result = new List<OciIndexEntry>();
        if (root?["manifests"] is not JsonArray manifests) return result;
        foreach (var node in manifests)
        {
            if (node is not JsonObject entry) continue;
            var digest = GetString(entry, "digest");
            if (digest is null || !OciDigest.IsValid(digest)) continue;
            var size = entry["size"] is JsonValue sizeValue && sizeValue.TryGetValue<long>(out var s) ? s : -1;
            OciPlatform? platform = null;
            if (entry["platform"] is JsonObject p && GetString(p, "os") is { } os && GetString(p, "architecture") is { } arch)
                platform = new OciPlatform(os, arch, GetString(p, "variant"));
            result.Add(new OciIndexEntry(new OciDescriptor(GetString(entry, "mediaType") ?? "", digest, size, platform), RefNameOf(entry)));
        }
        return result;
    }

    /// <summary>The entry named <paramref name="refName"/>, or null.</summary>
    public OciIndexEntry? Find(string refName) => List().FirstOrDefault(e => e.RefName == refName);

    async Task<bool> UpdateAsync(Func<JsonArray, bool> change, CancellationToken cancellationToken, Action<string>? onWaiting, bool createLayout = true)
    {
        if (createLayout) OciLayoutScaffold.Ensure(LayoutDir);
        else if (!File.Exists(IndexFile)) return false;
        using var held = await FileLock.AcquireAsync(LockFile, onWaiting, cancellationToken).ConfigureAwait(false);
        RemoveStaleTemps();
        var root = Read() ?? new JsonObject();
        if (root["manifests"] is not JsonArray manifests)
        {
            manifests = new JsonArray();
            root["manifests"] = manifests;
        }
        if (!root.ContainsKey("schemaVersion")) root["schemaVersion"] = 2;
        if (!change(manifests)) return false;
        Write(root);
        return true;
    }

    JsonObject? Read()
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(IndexFile); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        try
        {
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }) as JsonObject
                   ?? throw new JsonException("the top level is not an object");
        }
        catch (JsonException e)
        {
            throw new ImageCacheException(HostErrorCodes.IndexCorrupt, $"{IndexFile} is not a valid OCI image index: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>
    /// Deletes <c>.index.json.tmp-*</c> left by a writer killed mid-write (found by the reliability crash test: they
    /// were never collected). Writers hold the layout lock while their temp file exists, so under it any such file is stale.
    /// </summary>
    void RemoveStaleTemps()
    {
        foreach (var stale in Directory.EnumerateFiles(LayoutDir, ".index.json.tmp-*"))
            OciLayoutScaffold.TryDelete(stale);
    }

    void Write(JsonObject root)
    {
        var temp = Path.Combine(LayoutDir, $".index.json.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var json = root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n";
            OciLayoutScaffold.WriteDurably(temp, Encoding.UTF8.GetBytes(json));
            File.Move(temp, IndexFile, overwrite: true);
            Libc.FsyncDirectory(LayoutDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            OciLayoutScaffold.TryDelete(temp);
            throw new ImageCacheException(HostErrorCodes.StateNotWritable, $"cannot write {IndexFile}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    static JsonObject ToJson(OciDescriptor descriptor, string refName)
    {
        var entry = new JsonObject
        {
            ["mediaType"] = descriptor.MediaType,
            ["digest"] = descriptor.Digest,
            ["size"] = descriptor.Size,
        };
        if (descriptor.Platform is { } platform)
        {
            var p = new JsonObject { ["architecture"] = platform.Architecture, ["os"] = platform.Os };
            if (!string.IsNullOrEmpty(platform.Variant)) p["variant"] = platform.Variant;
            entry["platform"] = p;
        }
        entry["annotations"] = new JsonObject { [RefNameAnnotation] = refName };
        return entry;
    }

    static string? RefNameOf(JsonNode? entry) =>
        entry is JsonObject o && o["annotations"] is JsonObject annotations ? GetString(annotations, RefNameAnnotation) : null;

    static string? GetString(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
