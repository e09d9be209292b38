using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Contracts;
using ImageCache.Fetchers.Oci;
using ImageCache.Host.Blobs;
using ImageCache.Plugins.Tests.Oci;

namespace ImageCache.Plugins.Tests.DockerArchive;

/// <summary>One layer as the tests write it: the blob as stored in the archive and the tar it holds.</summary>
internal sealed record TestLayer(byte[] Blob, byte[] Tar)
{
    public string Digest => TestLayout.Sha256(Blob);

    public string DiffId => TestLayout.Sha256(Tar);

    /// <summary>An uncompressed layer holding <paramref name="files"/> (path, content) under a directory.</summary>
    public static TestLayer Plain(params (string Path, string Content)[] files)
    {
        var tar = MakeTar(files);
        return new TestLayer(tar, tar);
    }

    public static TestLayer Gzip(params (string Path, string Content)[] files)
    {
        var tar = MakeTar(files);
        return new TestLayer(GzipBytes(tar), tar);
    }

    public static byte[] GzipBytes(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    static byte[] MakeTar((string Path, string Content)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = (UnixFileMode)0b110_100_100, ModificationTime = DateTimeOffset.UnixEpoch,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                });
            }
        }
        return tar.ToArray();
    }
}

/// <summary>An image written into a <see cref="DockerSave"/> archive.</summary>
internal sealed record TestDockerImage(string ConfigDigest, IReadOnlyList<TestLayer> Layers, JsonObject ManifestEntry);

/// <summary>
/// Writes <c>docker save</c> archives the classic (pre-25) way: <c>HEX.json</c> configs, <c>ID/layer.tar</c> (+ <c>VERSION</c>,
/// <c>json</c>) layer directories, a root <c>manifest.json</c> and <c>repositories</c>. Entries in <see cref="Manifest"/>
/// may be edited before <see cref="Write"/> to make hostile archives.
/// </summary>
internal sealed class DockerSave
{
    readonly SortedDictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    /// <summary>The xunit collection of every test class that fetches docker-archive sources (they count extraction dirs).</summary>
    public const string Collection = "docker-archive fetches";

    public JsonArray Manifest { get; } = [];

    public TestDockerImage AddImage(string[]? tags, IReadOnlyList<TestLayer> layers, string arch = "amd64", IReadOnlyList<string>? diffIds = null)
    {
        var config = new JsonObject
        {
            ["architecture"] = arch,
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray([.. (diffIds ?? layers.Select(l => l.DiffId).ToList()).Select(d => (JsonNode)d)]),
            },
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var configDigest = TestLayout.Sha256(configBytes);
        var configPath = configDigest["sha256:".Length..] + ".json";
        _files[configPath] = configBytes;
        var layerPaths = new JsonArray();
        foreach (var layer in layers)
        {
            var id = layer.Digest["sha256:".Length..];
            _files[$"{id}/layer.tar"] = layer.Blob;
            _files[$"{id}/VERSION"] = "1.0"u8.ToArray();
            _files[$"{id}/json"] = Encoding.UTF8.GetBytes($$"""{"id":"{{id}}"}""");
            layerPaths.Add($"{id}/layer.tar");
        }
        var entry = new JsonObject
        {
            ["Config"] = configPath,
            ["RepoTags"] = tags is null ? null : new JsonArray([.. tags.Select(t => (JsonNode)t)]),
            ["Layers"] = layerPaths,
        };
        Manifest.Add(entry);
        return new TestDockerImage(configDigest, layers, entry);
    }

    /// <summary>Writes the archive (gzipped when asked); <paramref name="skip"/> leaves entries out, <paramref name="extra"/> adds some first.</summary>
    public void Write(string file, bool gzip = false, Func<string, bool>? skip = null, Action<TarWriter>? extra = null)
    {
        using var stream = File.Create(file);
        using var compressed = gzip ? new GZipStream(stream, CompressionLevel.Fastest) : (Stream)stream;
        using var writer = new TarWriter(compressed, TarEntryFormat.Pax, leaveOpen: true);
        extra?.Invoke(writer);
        var files = new SortedDictionary<string, byte[]>(_files, StringComparer.Ordinal)
        {
            ["manifest.json"] = Encoding.UTF8.GetBytes(Manifest.ToJsonString()),
            ["repositories"] = "{}"u8.ToArray(),
        };
        var dirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, bytes) in files)
        {
            if (skip?.Invoke(path) == true) continue;
            var slash = path.IndexOf('/');
            if (slash > 0 && dirs.Add(path[..slash]))
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, path[..(slash + 1)]) { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(bytes) });
        }
    }

    public static Task<FetchedImage> Fetch(string location, OciBlobStore store, PlatformSpec? platform = null, IProgress<TransferProgress>? progress = null) =>
        new DockerArchiveFetcher().FetchAsync(new FetchRequest(location, platform, store, false, progress), CancellationToken.None);
}
