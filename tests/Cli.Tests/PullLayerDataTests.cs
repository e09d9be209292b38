using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Cli.Tests;

/// <summary>
/// File data reaches the image byte for byte whichever way a layer's data is kept during the pull: read in place from
/// an uncompressed tar blob, or from the one spool tar a gzip or zstd layer is decompressed into.
/// </summary>
public sealed class PullLayerDataTests : IDisposable
{
    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    static string PluginsDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name, "plugins");
            if (!Directory.Exists(Path.Combine(dir, "ImageCache.Builders.Ext4"))) Assert.Fail($"{dir} holds no published plugins; build src/Cli");
            return dir;
        }
    }

    static string Sha(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    static byte[] Random(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    static byte[] Tar(params (string Name, byte[] Data)[] files)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "data/") { Mode = (UnixFileMode)0b111_101_101 });
            foreach (var (name, data) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(data) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, files[0].Name + ".link") { LinkName = files[0].Name, Mode = (UnixFileMode)0b110_100_100 });
        }
        return stream.ToArray();
    }

    string Tool(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {process.ExitCode}: {error}{output.Result}");
        return output.Result;
    }

    [Theory]
    [InlineData("tar")]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task Every_file_of_the_layers_lands_byte_for_byte(string compression)
    {
        // Layer 1 always gzip; layer 2 in the compression under test, replacing one file of layer 1 and adding others.
        var big = Random(1, 3 * 1024 * 1024 + 17);
        var small = Encoding.UTF8.GetBytes("small\n");
        var replaced = Random(2, 70000);
        var tar1 = Tar(("data/big", big), ("data/replaced", Random(3, 5000)), ("data/empty", []));
        var tar2 = Tar(("data/small", small), ("data/replaced", replaced), ("data/odd", Random(4, 513)));
        var dir = Path.Combine(sandbox.Root, "layout");
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        JsonObject Blob(byte[] bytes, string mediaType)
        {
            File.WriteAllBytes(Path.Combine(dir, "blobs", "sha256", Sha(bytes)[7..]), bytes);
            return new JsonObject { ["mediaType"] = mediaType, ["digest"] = Sha(bytes), ["size"] = bytes.Length };
        }
        byte[] Gzip(byte[] data)
        {
            var gz = new MemoryStream();
            using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
            return gz.ToArray();
        }
        byte[] Zstd(byte[] data)
        {
            var input = Path.Combine(sandbox.Root, "layer2.tar");
            File.WriteAllBytes(input, data);
            Tool("zstd", "-q", "-f", input, "-o", input + ".zst");
            return File.ReadAllBytes(input + ".zst");
        }
        var layer2 = compression switch
        {
            "gzip" => Blob(Gzip(tar2), "application/vnd.oci.image.layer.v1.tar+gzip"),
            "zstd" => Blob(Zstd(tar2), "application/vnd.oci.image.layer.v1.tar+zstd"),
            _ => Blob(tar2, "application/vnd.oci.image.layer.v1.tar"),
        };
        var config = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Sha(tar1), Sha(tar2)) },
        }.ToJsonString()), "application/vnd.oci.image.config.v1+json");
        var manifest = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["config"] = config,
            ["layers"] = new JsonArray(Blob(Gzip(tar1), "application/vnd.oci.image.layer.v1.tar+gzip"), layer2),
        }.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        manifest["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" };
        File.WriteAllText(Path.Combine(dir, "index.json"), new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifest) }.ToJsonString());

        var result = await CliProcess.RunAsync(["--state-dir", sandbox.State, "--plugins-dir", PluginsDir, "--json", "pull", $"oci:{dir}:v1"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var image = (string)JsonNode.Parse(result.Out)!["output_path"]!;
        Tool("e2fsck", "-fn", image);
        var dump = Path.Combine(sandbox.Root, "dump");
        Directory.CreateDirectory(dump);
        foreach (var (name, expected) in new[] { ("big", big), ("small", small), ("replaced", replaced), ("empty", Array.Empty<byte>()), ("big.link", big) })
        {
            Tool("debugfs", "-R", $"dump /data/{name} {Path.Combine(dump, name)}", image);
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dump, name))), $"/data/{name} differs from the layer's bytes");
        }
        Tool("debugfs", "-R", $"dump /data/odd {Path.Combine(dump, "odd")}", image);
        Assert.Equal(Random(4, 513), File.ReadAllBytes(Path.Combine(dump, "odd")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sandbox.State, "tmp")));
    }
}
