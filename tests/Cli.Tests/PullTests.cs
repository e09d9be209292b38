using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageCache.Cli.Tests;

/// <summary><c>imagecache pull</c> through the real CLI process, with the plugins the CLI project publishes beside itself.</summary>
public sealed class PullTests : IDisposable
{
    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>src/Cli's own output folder holds the published plugins (build/PublishPlugins.targets).</summary>
    internal static string PluginsDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var tfm = baseDir.Name;
            var configuration = baseDir.Parent!.Name;
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "src", "Cli", "bin", configuration, tfm, "plugins");
            if (!Directory.Exists(Path.Combine(dir, "ImageCache.Builders.Ext4"))) Assert.Fail($"{dir} holds no published plugins; build src/Cli");
            return dir;
        }
    }

    static string Sha(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>An OCI layout with one two-layer image tagged v1: layer 1 (gzip) etc/gone, bin/su (04755), bin/sh → su; layer 2 (plain tar) etc/keep and a whiteout of etc/gone.</summary>
    string WriteLayout(bool wrongDiffId = false, bool zstdLayer2 = false)
    {
        var dir = Path.Combine(sandbox.Root, "layout");
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        JsonObject Blob(byte[] bytes, string mediaType)
        {
            var digest = Sha(bytes);
            File.WriteAllBytes(Path.Combine(dir, "blobs", "sha256", digest[7..]), bytes);
            return new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = bytes.Length };
        }
        static byte[] Tar(Action<TarWriter> write)
        {
            var stream = new MemoryStream();
            using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true)) write(writer);
            return stream.ToArray();
        }
        static PaxTarEntry Reg(string name, string content, int mode) =>
            new(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)mode, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
        var tar1 = Tar(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/") { Mode = (UnixFileMode)0b111_101_101 });
            w.WriteEntry(Reg("etc/gone", "gone\n", 0b110_100_100));
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = (UnixFileMode)0b111_101_101 });
            w.WriteEntry(Reg("bin/su", "setuid\n", 0b100_111_101_101));
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "su", Mode = (UnixFileMode)0b111_111_111 });
        });
        var tar2 = Tar(w =>
        {
            w.WriteEntry(Reg("etc/keep", "keep\n", 0b110_100_100));
            w.WriteEntry(Reg("etc/.wh.gone", "", 0b110_100_100));
        });
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tar1);
        var layer1 = Blob(gz.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip");
        var layer2 = zstdLayer2
            ? Blob(Zstd(tar2), "application/vnd.oci.image.layer.v1.tar+zstd")
            : Blob(tar2, "application/vnd.oci.image.layer.v1.tar");
        var config = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Env"] = new JsonArray("PATH=/bin"), ["Cmd"] = new JsonArray("/bin/sh"), ["User"] = "1000:1000", ["WorkingDir"] = "/srv",
                ["Labels"] = new JsonObject { ["org.example.role"] = "test" },
                ["ExposedPorts"] = new JsonObject { ["8080/tcp"] = new JsonObject(), ["53/udp"] = new JsonObject() },
            },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Sha(tar1), wrongDiffId ? Sha(tar1) : Sha(tar2)) },
        }.ToJsonString()), "application/vnd.oci.image.config.v1+json");
        var manifest = Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = config,
            ["layers"] = new JsonArray(layer1, layer2),
        }.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        manifest["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" };
        manifest["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" };
        System.IO.File.WriteAllText(Path.Combine(dir, "index.json"), new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(manifest),
        }.ToJsonString());
        return dir;
    }

    /// <summary>Compresses with the real zstd (test.sh installs it).</summary>
    byte[] Zstd(byte[] data)
    {
        var input = Path.Combine(sandbox.Root, "layer.tar");
        File.WriteAllBytes(input, data);
        Tool("zstd", "-q", "-f", input, "-o", input + ".zst");
        return File.ReadAllBytes(input + ".zst");
    }

    Task<CliResult> Pull(string layout, params string[] extra) =>
        CliProcess.RunAsync(["--state-dir", sandbox.State, "--plugins-dir", PluginsDir, "--json", "pull", $"oci:{layout}:v1", .. extra]);

    static string Tool(string tool, params string[] args)
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

    [Fact]
    public async Task Pull_builds_a_sealed_ext4_baseline_with_the_merged_tree_and_a_second_pull_reuses_it()
    {
        var layout = WriteLayout();
        var first = await Pull(layout);
        Assert.True(first.ExitCode == 0, first.Error);
        var record = JsonNode.Parse(first.Out)!;
        var path = (string)record["output_path"]!;
        var key = (string)record["content_key"]!;
        Assert.Equal(Path.Combine(sandbox.RootfsDir, key + ".ext4"), path);
        Assert.StartsWith("sha256:", (string)record["digest"]!);
        Assert.Equal("ext4", (string)record["builder"]!);
        Assert.True((bool)record["rootfs_immutable"]!);
        Assert.Equal("1000:1000", (string)record["image_config"]!["user"]!);
        Assert.Equal("/srv", (string)record["image_config"]!["working_dir"]!);
        Assert.Equal("test", (string)record["image_config"]!["labels"]!["org.example.role"]!);
        Assert.Equal("[\"53/udp\",\"8080/tcp\"]", record["image_config"]!["exposed_ports"]!.ToJsonString());
        Assert.Equal("[\"/bin/sh\"]", record["image_cmd"]!.ToJsonString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), (string)record["rootfs_sha256"]!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));

        Tool("e2fsck", "-fn", path);
        var etc = Tool("debugfs", "-R", "ls -l /etc", path);
        Assert.Contains("keep", etc);
        Assert.DoesNotContain("gone", etc);
        var bin = Tool("debugfs", "-R", "stat /bin/su", path);
        Assert.Contains("Mode:  0755", bin);
        Assert.Contains("120777", Tool("debugfs", "-R", "ls -l /bin", path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(sandbox.State, "tmp")));

        var mtime = File.GetLastWriteTimeUtc(path);
        await Task.Delay(50);
        var second = await Pull(layout);
        Assert.True(second.ExitCode == 0, second.Error);
        var again = JsonNode.Parse(second.Out)!;
        Assert.Equal(path, (string)again["output_path"]!);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(path));
        Assert.True(DateTimeOffset.Parse((string)again["last_used_at"]!) > DateTimeOffset.Parse((string)record["last_used_at"]!));
        Assert.Single(Directory.EnumerateFiles(sandbox.RootfsDir));
    }

    [Fact]
    public async Task Pull_with_the_squashfs_builder_gives_an_sqfs_unsquashfs_accepts()
    {
        var result = await Pull(WriteLayout(), "--builder", "squashfs");
        Assert.True(result.ExitCode == 0, result.Error);
        var path = (string)JsonNode.Parse(result.Out)!["output_path"]!;
        Assert.EndsWith(".sqfs", path);
        Tool("unsquashfs", "-s", path);
    }

    [Fact]
    public async Task A_wrong_diff_id_fails_with_one_error_line_and_publishes_nothing()
    {
        var result = await Pull(WriteLayout(wrongDiffId: true), "-q");
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains("diff_id", line);
        Assert.Empty(Directory.Exists(sandbox.RootfsDir) ? Directory.EnumerateFileSystemEntries(sandbox.RootfsDir) : []);
        Assert.False(File.Exists(sandbox.IndexFile));
        var tmp = Path.Combine(sandbox.State, "tmp");
        Assert.Empty(Directory.Exists(tmp) ? Directory.EnumerateFileSystemEntries(tmp) : []);
    }

    /// <summary>The README's first command pulls <c>samples/hello-oci</c> (made by samples/make-hello-image.sh); it must keep working.</summary>
    [Fact]
    public async Task The_sample_image_shipped_with_the_repo_pulls_through_the_default_builder()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "ImageCache.sln"))) repo = repo.Parent;
        Assert.True(repo is not null, "the repository root (ImageCache.sln) was not found above the test output");
        var sample = Path.Combine(repo!.FullName, "samples", "hello-oci");

        var result = await CliProcess.RunAsync(["--state-dir", sandbox.State, "--plugins-dir", PluginsDir, "--json", "pull", $"oci:{sample}:v1"]);

        Assert.True(result.ExitCode == 0, result.Error);
        var record = JsonNode.Parse(result.Out)!;
        var path = (string)record["output_path"]!;
        Assert.Equal("ext4", (string)record["format"]!);
        Tool("e2fsck", "-fn", path);
        Assert.Equal("hello again, from layer 2\n", Tool("debugfs", "-R", "cat /etc/motd", path));
        Assert.DoesNotContain("old.conf", Tool("debugfs", "-R", "ls -l /etc", path));
        Assert.Contains("01777", "0" + Convert.ToString(Convert.ToInt32(Tool("debugfs", "-R", "stat /tmp", path).Split("Mode:")[1].Trim().Split(' ')[0], 8), 8));
    }

    [Fact]
    public async Task A_zstd_compressed_layer_is_read_and_checked_against_its_diff_id()
    {
        var layout = WriteLayout(zstdLayer2: true);

        var result = await Pull(layout);

        Assert.True(result.ExitCode == 0, result.Error);
        var path = (string)JsonNode.Parse(result.Out)!["output_path"]!;
        Tool("e2fsck", "-fn", path);
        var etc = Tool("debugfs", "-R", "ls -l /etc", path);
        Assert.Contains("keep", etc);
        Assert.DoesNotContain("gone", etc);
    }
}
