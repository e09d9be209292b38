using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Builders.Tests;

/// <summary>Writes an OCI image layout (one image, tag <see cref="Tag"/>) from uncompressed layer tars; the tests' only image source.</summary>
internal static class OciImage
{
    public const string Tag = "test";

    public static string Write(string directory, params byte[][] layers)
    {
        Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        JsonObject Blob(byte[] bytes, string mediaType)
        {
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
            File.WriteAllBytes(Path.Combine(directory, "blobs", "sha256", digest[7..]), bytes);
            return new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = bytes.LongLength };
        }

        var layerDescriptors = new JsonArray();
        var diffIds = new JsonArray();
        foreach (var layer in layers)
        {
            var descriptor = Blob(layer, "application/vnd.oci.image.layer.v1.tar");
            diffIds.Add(descriptor["digest"]!.GetValue<string>());
            layerDescriptors.Add(descriptor);
        }

        var config = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        }.ToJsonString()), "application/vnd.oci.image.config.v1+json");
        var manifest = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = config,
            ["layers"] = layerDescriptors,
        }.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        manifest["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = Tag };
        manifest["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" };
        File.WriteAllText(Path.Combine(directory, "index.json"), new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(manifest),
        }.ToJsonString());
        return directory;
    }
}
