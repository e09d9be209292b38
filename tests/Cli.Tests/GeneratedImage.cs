using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Cli.Tests;

/// <summary>OCI image layouts (one gzip layer) made by the tests themselves.</summary>
internal static class GeneratedImage
{
    /// <summary>
    /// Writes a layout with <paramref name="files"/> files of <paramref name="fileBytes"/> pseudo-random bytes each
    /// (seeded by <paramref name="seed"/>, so different seeds give different images), tagged <c>v1</c>: pull it as
    /// <c>oci:DIR:v1</c>.
    /// </summary>
    public static string Write(string directory, int files, int fileBytes, int seed)
    {
        Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var random = new Random(seed);
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "data/") { Mode = (UnixFileMode)0b111_101_101 });
            var content = new byte[fileBytes];
            for (var i = 0; i < files; i++)
            {
                random.NextBytes(content);
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"data/{i / 100}/f{i}")
                {
                    Mode = (UnixFileMode)0b110_100_100,
                    DataStream = new MemoryStream(content, writable: false),
                });
            }
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/seed")
            {
                Mode = (UnixFileMode)0b110_100_100,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"{seed}\n")),
            });
        }
        var layerTar = tar.ToArray();
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(layerTar);

        JsonObject Blob(byte[] bytes, string mediaType)
        {
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
            File.WriteAllBytes(Path.Combine(directory, "blobs", "sha256", digest[7..]), bytes);
            return new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = bytes.Length };
        }
        var layer = Blob(gz.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip");
        var config = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray("sha256:" + Convert.ToHexStringLower(SHA256.HashData(layerTar))) },
        }.ToJsonString()), "application/vnd.oci.image.config.v1+json");
        var manifest = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = config,
            ["layers"] = new JsonArray(layer),
        }.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        manifest["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" };
        File.WriteAllText(Path.Combine(directory, "index.json"), new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifest) }.ToJsonString());
        return directory;
    }
}
