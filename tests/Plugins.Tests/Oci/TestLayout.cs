using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Plugins.Tests.Oci;

/// <summary>A temporary directory, deleted (with read-only blobs) on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("imagecache-plugin-tests-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
        {
            try { File.SetAttributes(file, FileAttributes.Normal); } catch (IOException) { }
        }
        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>A descriptor as the tests write it.</summary>
internal sealed record Desc(string MediaType, string Digest, long Size, string? Os = null, string? Arch = null, string? Variant = null, string? RefName = null)
{
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["mediaType"] = MediaType, ["digest"] = Digest, ["size"] = Size };
        if (Os is not null)
        {
            var platform = new JsonObject { ["architecture"] = Arch, ["os"] = Os };
            if (Variant is not null) platform["variant"] = Variant;
            json["platform"] = platform;
        }
        if (RefName is not null) json["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = RefName };
        return json;
    }

    public Desc Named(string refName) => this with { RefName = refName };
}

/// <summary>One image written by <see cref="TestLayout.AddImage"/>.</summary>
internal sealed record TestImageInfo(Desc Manifest, string ConfigDigest, string LayerDigest, string DiffId, byte[] Layer);

/// <summary>Writes OCI image layouts (image-layout.md) the way skopeo does, from images made in the test (cf. Host.Tests TestImage).</summary>
internal sealed class TestLayout
{
    public const string IndexType = "application/vnd.oci.image.index.v1+json";
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string ConfigType = "application/vnd.oci.image.config.v1+json";
    public const string GzipLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

    public TestLayout(string dir)
    {
        Dir = dir;
        Directory.CreateDirectory(System.IO.Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(System.IO.Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }

    public string Dir { get; }

    public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public string BlobPath(string digest) => System.IO.Path.Combine(Dir, "blobs", "sha256", digest["sha256:".Length..]);

    public Desc Blob(byte[] bytes, string mediaType)
    {
        var digest = Sha256(bytes);
        File.WriteAllBytes(BlobPath(digest), bytes);
        return new Desc(mediaType, digest, bytes.Length);
    }

    public Desc Json(JsonNode node, string mediaType) => Blob(Encoding.UTF8.GetBytes(node.ToJsonString()), mediaType);

    /// <summary>A one-layer image for <paramref name="arch"/> whose layer holds <c>etc/hello.txt</c> = <paramref name="content"/>.</summary>
    public TestImageInfo AddImage(string arch = "amd64", string content = "hello\n", string? variant = null, JsonObject? rootfs = null)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/") { Mode = (UnixFileMode)0b111_101_101 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/hello.txt")
            {
                Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content + arch)),
            });
        }
        var tarBytes = tar.ToArray();
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tarBytes);
        var layerBytes = gz.ToArray();
        var layer = Blob(layerBytes, GzipLayerType);
        var diffId = Sha256(tarBytes);

        var configJson = new JsonObject
        {
            ["architecture"] = arch,
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = rootfs ?? new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
        };
        if (variant is not null) configJson["variant"] = variant;
        var config = Json(configJson, ConfigType);
        var manifest = Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = config.ToJson(),
            ["layers"] = new JsonArray(layer.ToJson()),
        }, ManifestType);
        return new TestImageInfo(manifest with { Os = "linux", Arch = arch, Variant = variant }, config.Digest, layer.Digest, diffId, layerBytes);
    }

    /// <summary>An index blob listing <paramref name="manifests"/> (with their platforms).</summary>
    public Desc AddIndex(params Desc[] manifests) => Json(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = IndexType,
        ["manifests"] = new JsonArray([.. manifests.Select(m => (JsonNode)m.ToJson())]),
    }, IndexType);

    /// <summary>A buildx-style attestation entry: <c>unknown/unknown</c>, pointing at a real manifest blob.</summary>
    public Desc Attestation(Desc of) => of with { Os = "unknown", Arch = "unknown", Variant = null };

    /// <summary>Writes <c>index.json</c> listing <paramref name="entries"/>.</summary>
    public void WriteIndexJson(params Desc[] entries) => File.WriteAllText(System.IO.Path.Combine(Dir, "index.json"), new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = IndexType,
        ["manifests"] = new JsonArray([.. entries.Select(m => (JsonNode)m.ToJson())]),
    }.ToJsonString());

    /// <summary>Writes the layout as a tar (what <c>skopeo copy … oci-archive:</c> produces).</summary>
    public void WriteArchive(string file, Action<TarWriter>? extra = null)
    {
        using var stream = File.Create(file);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        extra?.Invoke(writer);
        foreach (var path in Directory.EnumerateFiles(Dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            writer.WriteEntry(path, System.IO.Path.GetRelativePath(Dir, path));
    }
}
