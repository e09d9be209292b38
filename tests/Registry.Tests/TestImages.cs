using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Registry.Tests;

/// <summary>How a test layer is compressed.</summary>
internal enum LayerCompression { Gzip, Zstd, Plain }

/// <summary>An image pushed by a test: what the registry holds for it.</summary>
internal sealed record PushedImage(string ManifestDigest, int ManifestSize, string MediaType, string ConfigDigest,
    IReadOnlyList<string> LayerDigests, IReadOnlyList<string> DiffIds);

/// <summary>Builds images in code (real tars, gzip/zstd/plain layers, OCI or Docker manifests) and pushes them.</summary>
internal static class TestImages
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>A unique repository name per test, so tests sharing one registry never see each other's blobs.</summary>
    public static string Repository(string hint) => $"test/{hint}-{Guid.NewGuid().ToString("N")[..12]}";

    public static byte[] Tar(params (string Name, string Content)[] files)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                if (name.EndsWith('/'))
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 });
                else
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                        { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }
        return stream.ToArray();
    }

    public static byte[] Compress(byte[] tar, LayerCompression compression)
    {
        switch (compression)
        {
            case LayerCompression.Gzip:
                var gz = new MemoryStream();
                using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
                return gz.ToArray();
            case LayerCompression.Zstd:
                using (var compressor = new ZstdSharp.Compressor(3)) return compressor.Wrap(tar).ToArray();
            default:
                return tar;
        }
    }

    static string LayerMediaType(LayerCompression compression, bool docker) => (compression, docker) switch
    {
        (LayerCompression.Gzip, true) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        (LayerCompression.Gzip, false) => "application/vnd.oci.image.layer.v1.tar+gzip",
        (LayerCompression.Zstd, _) => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => "application/vnd.oci.image.layer.v1.tar",
    };

    /// <summary>
    /// Pushes a single-platform image whose layer i holds <c>layer{i}/file</c> with content naming the repository and
    /// architecture (so digests are unique per test), optionally tagged.
    /// </summary>
    public static async Task<PushedImage> PushImageAsync(ImagePusher pusher, string repository, string? tag, string architecture = "amd64",
        string variant = "", LayerCompression[]? layers = null, bool docker = false, Action<JsonObject>? editConfig = null,
        int? padLayerBytes = null)
    {
        layers ??= [LayerCompression.Gzip, LayerCompression.Plain];
        var layerDescriptors = new JsonArray();
        var layerDigests = new List<string>();
        var diffIds = new List<string>();
        for (var i = 0; i < layers.Length; i++)
        {
            var padding = padLayerBytes is { } pad ? new string('x', pad) + Guid.NewGuid().ToString("N") : "";
            var tar = Tar(($"layer{i}/", ""), ($"layer{i}/file", $"{repository} {architecture}{variant} layer {i}\n{padding}"));
            var blob = Compress(tar, layers[i]);
            var digest = await pusher.PushBlobAsync(repository, blob);
            layerDigests.Add(digest);
            diffIds.Add(ImagePusher.Sha256(tar));
            layerDescriptors.Add(new JsonObject { ["mediaType"] = LayerMediaType(layers[i], docker), ["digest"] = digest, ["size"] = blob.Length });
        }
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Env"] = new JsonArray("PATH=/usr/bin"), ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. diffIds.Select(d => JsonValue.Create(d))]) },
        };
        if (variant.Length > 0) config["variant"] = variant;
        editConfig?.Invoke(config);
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var configDigest = await pusher.PushBlobAsync(repository, configBytes);
        var mediaType = docker ? DockerManifest : OciManifest;
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["config"] = new JsonObject
            {
                ["mediaType"] = docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json",
                ["digest"] = configDigest, ["size"] = configBytes.Length,
            },
            ["layers"] = layerDescriptors,
        }.ToJsonString());
        var manifestDigest = await pusher.PushManifestAsync(repository, tag ?? ImagePusher.Sha256(manifest), manifest, mediaType);
        return new PushedImage(manifestDigest, manifest.Length, mediaType, configDigest, layerDigests, diffIds);
    }

    /// <summary>Pushes an index of <paramref name="entries"/> (descriptor JSON each) under <paramref name="reference"/>.</summary>
    public static async Task<(string Digest, int Size)> PushIndexAsync(ImagePusher pusher, string repository, string reference,
        IEnumerable<JsonObject> entries, bool docker = false)
    {
        var mediaType = docker ? DockerList : OciIndex;
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["manifests"] = new JsonArray([.. entries]),
        }.ToJsonString());
        var digest = await pusher.PushManifestAsync(repository, reference, index, mediaType);
        return (digest, index.Length);
    }

    public static JsonObject Entry(PushedImage image, string os, string architecture, string variant = "", JsonObject? annotations = null)
    {
        var platform = new JsonObject { ["os"] = os, ["architecture"] = architecture };
        if (variant.Length > 0) platform["variant"] = variant;
        var entry = new JsonObject { ["mediaType"] = image.MediaType, ["digest"] = image.ManifestDigest, ["size"] = image.ManifestSize, ["platform"] = platform };
        if (annotations is not null) entry["annotations"] = annotations;
        return entry;
    }
}
