using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Host.Blobs;

namespace ImageCache.Host.Tests.Blobs;

/// <summary>A tiny single-layer OCI image written into a blob store by the tests.</summary>
internal sealed record TestImage(string ManifestDigest, long ManifestSize, string ConfigDigest, string LayerDigest, string DiffId)
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    public static async Task<TestImage> WriteAsync(OciBlobStore store, string content = "hello from a test layer\n")
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/") { Mode = (UnixFileMode)0b111_101_101 });
            var data = Encoding.UTF8.GetBytes(content);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/hello.txt")
            {
                Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(data),
            });
        }
        var tarBytes = tar.ToArray();
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tarBytes);
        var layer = gz.ToArray();
        var diffId = BlobSandbox.Sha256(tarBytes);
        var layerDigest = await Put(store, layer);

        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
            ["history"] = new JsonArray(new JsonObject { ["created_by"] = "imagecache test" }),
        }.ToJsonString());
        var configDigest = await Put(store, config);

        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length,
            },
            ["layers"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = layerDigest, ["size"] = layer.Length,
            }),
        }.ToJsonString());
        var manifestDigest = await Put(store, manifest);
        return new TestImage(manifestDigest, manifest.Length, configDigest, layerDigest, diffId);
    }

    public OciDescriptor Descriptor => new(ManifestType, ManifestDigest, ManifestSize, new OciPlatform("linux", "amd64"));

    static Task<string> Put(OciBlobStore store, byte[] bytes) =>
        store.PutAsync(new MemoryStream(bytes), BlobSandbox.Sha256(bytes), bytes.Length, CancellationToken.None);
}
