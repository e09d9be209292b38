using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// Writes one-image OCI layouts (tag <c>test</c>) and docker-archives that a hostile producer could make: every part
/// can be bent before or after the blobs are written (descriptor sizes, digests, blob files, the config).
/// </summary>
internal sealed class HostileImage
{
    public const string Tag = "test";

    public List<byte[]> Layers { get; } = [];

    /// <summary>The uncompressed tars the config's diff_ids are computed from (defaults to <see cref="Layers"/>).</summary>
    public List<byte[]>? DiffIdTars { get; set; }

    public string LayerMediaType { get; set; } = "application/vnd.oci.image.layer.v1.tar";
    public Action<JsonObject>? EditConfig { get; set; }
    public Action<JsonArray>? EditLayerDescriptors { get; set; }
    public Action<JsonObject>? EditManifest { get; set; }

    /// <summary>Runs after every blob is written: (layout dir, layer digests).</summary>
    public Action<string, IReadOnlyList<string>>? AfterWrite { get; set; }

    public static string Sha(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    public HostileImage Layer(byte[] blob) { Layers.Add(blob); return this; }

    public string WriteLayout(string directory)
    {
        var blobs = Path.Combine(directory, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        JsonObject Blob(byte[] bytes, string mediaType)
        {
            var digest = Sha(bytes);
            File.WriteAllBytes(Path.Combine(blobs, digest[7..]), bytes);
            return new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = bytes.LongLength };
        }

        var descriptors = new JsonArray();
        foreach (var layer in Layers) descriptors.Add(Blob(layer, LayerMediaType));
        EditLayerDescriptors?.Invoke(descriptors);
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray((DiffIdTars ?? Layers).Select(t => (JsonNode)Sha(t)).ToArray()) },
        };
        EditConfig?.Invoke(config);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Blob(Encoding.UTF8.GetBytes(config.ToJsonString()), "application/vnd.oci.image.config.v1+json"),
            ["layers"] = descriptors,
        };
        EditManifest?.Invoke(manifest);
        var manifestDescriptor = Blob(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        manifestDescriptor["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = Tag };
        manifestDescriptor["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" };
        File.WriteAllText(Path.Combine(directory, "index.json"), new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(manifestDescriptor),
        }.ToJsonString());
        AfterWrite?.Invoke(directory, descriptors.Select(d => d!["digest"]!.GetValue<string>()).ToArray());
        return directory;
    }

    /// <summary>
    /// A <c>docker save</c> archive: <c>manifest.json</c> (whose Config and Layers entries <paramref name="editManifest"/>
    /// may bend), <c>&lt;config digest&gt;.json</c> and one <c>&lt;n&gt;/layer.tar</c> per layer; <paramref name="extra"/> adds members.
    /// </summary>
    public string WriteDockerArchive(string file, Action<JsonObject>? editManifest = null, Action<TarWriter>? extra = null)
    {
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Layers.Select(t => (JsonNode)Sha(t)).ToArray()) },
        }.ToJsonString());
        var configName = Sha(config)[7..] + ".json";
        var entry = new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray("local/hostile:test"),
            ["Layers"] = new JsonArray(Layers.Select((_, i) => (JsonNode)$"{i}/layer.tar").ToArray()),
        };
        editManifest?.Invoke(entry);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var stream = File.Create(file);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        void Add(string name, byte[] data) => writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        Add("manifest.json", Encoding.UTF8.GetBytes(new JsonArray(entry).ToJsonString()));
        Add(configName, config);
        for (var i = 0; i < Layers.Count; i++) Add($"{i}/layer.tar", Layers[i]);
        extra?.Invoke(writer);
        return file;
    }
}
