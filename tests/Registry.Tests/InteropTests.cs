using System.Diagnostics;
using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Registry.Tests;

/// <summary>
/// The registry pull against other tools and through the real CLI: skopeo's copy of the same image read by our
/// <c>oci:</c> fetcher, and <c>imagecache pull 127.0.0.1:PORT/repo:tag</c> as a process building a baseline.
/// </summary>
public sealed class InteropTests : IDisposable
{
    readonly RegistryServer registry = RegistryServer.Shared;
    readonly TestStore store = new();

    public void Dispose() => store.Dispose();

    /// <summary>src/Cli's output folder: the CLI and the plugins it publishes beside itself (build/PublishPlugins.targets).</summary>
    static string CliDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name);
            if (!Directory.Exists(Path.Combine(dir, "plugins", "ImageCache.Fetchers.Registry")))
                Assert.Fail($"{dir}/plugins holds no published registry plugin; build src/Cli");
            return dir;
        }
    }

    static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("IMAGECACHE_STATE_DIR");
        start.Environment.Remove("IMAGECACHE_PLUGINS");
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"{program} is not installed (test.sh installs it)", e); }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); Assert.Fail($"{program} did not finish in 120 s"); }
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    [Fact]
    public async Task Skopeo_copy_to_an_oci_layout_read_by_our_oci_fetcher_gives_the_same_layers_as_our_registry_pull()
    {
        var repository = TestImages.Repository("skopeo");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1",
            layers: [LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.Plain]);
        var layout = Path.Combine(store.Root, "layout");
        // --preserve-digests: without it skopeo gzips the plain layer for an oci: destination (a new digest by design).
        var copy = await RunAsync("skopeo", "--insecure-policy", "copy", "--preserve-digests", "--src-tls-verify=false",
            $"docker://{registry.Address}/{repository}:v1", $"oci:{layout}:v1");
        Assert.True(copy.Exit == 0, $"skopeo copy failed: {copy.Stderr}");

        var pulled = await store.FetchAsync($"{registry.Address}/{repository}:v1");

        var services = new ServiceCollection();
        services.AddImageCachePlugins([Path.Combine(CliDir, "plugins")], out _);
        await using var provider = services.BuildServiceProvider();
        var oci = provider.GetRequiredService<PluginRegistry>().GetFetcher("oci");
        using var other = new TestStore();
        var fromLayout = await oci.FetchAsync(new FetchRequest($"{layout}:v1", null, other.Blobs, false, null), CancellationToken.None);

        Assert.Equal(image.LayerDigests, pulled.Layers.Select(l => l.Digest));
        Assert.Equal(pulled.Layers.Select(l => l.Digest), fromLayout.Layers.Select(l => l.Digest));
        Assert.Equal(pulled.Layers.Select(l => l.DiffId), fromLayout.Layers.Select(l => l.DiffId));
        Assert.Equal(pulled.ManifestDigest, fromLayout.ManifestDigest); // an OCI manifest is copied byte for byte
        Assert.Equal(pulled.ConfigDigest, fromLayout.ConfigDigest);
    }

    [Fact]
    public async Task The_cli_pulls_a_bare_registry_reference_into_a_sealed_baseline_and_reuses_it()
    {
        var repository = TestImages.Repository("cli");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1");
        var state = Path.Combine(store.Root, "state");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        string[] pull = [Path.Combine(CliDir, "imagecache.dll"), "--state-dir", state, "--json", "pull", $"{registry.Address}/{repository}:v1"];

        var first = await RunAsync(dotnet, pull);
        Assert.True(first.Exit == 0, $"imagecache pull failed: {first.Stderr}");
        using var record = JsonDocument.Parse(first.Stdout);
        var root = record.RootElement;
        Assert.Equal(image.ManifestDigest, root.GetProperty("digest").GetString());
        Assert.Equal($"{registry.Address}/{repository}@{image.ManifestDigest}", root.GetProperty("resolved_ref").GetString());
        Assert.Equal("docker", root.GetProperty("source").GetString());
        var output = root.GetProperty("output_path").GetString()!;
        Assert.True(File.Exists(output), output);
        Assert.True(new FileInfo(output).Length > 0);
        Assert.All(image.LayerDigests, d => Assert.True(File.Exists(Path.Combine(state, "oci", "blobs", "sha256", d[7..])), d));

        var second = await RunAsync(dotnet, [.. pull.Take(4), "pull", $"docker://{registry.Address}/{repository}:v1"]);
        Assert.True(second.Exit == 0, $"second pull failed: {second.Stderr}");
        Assert.Contains("already built", second.Stderr);

        var missing = await RunAsync(dotnet, [.. pull.Take(4), "pull", $"{registry.Address}/{repository}:nope"]);
        Assert.Equal(1, missing.Exit);
        Assert.Contains($"unknown tag: {registry.Address}/{repository} has no tag 'nope'", missing.Stderr);
    }

    [Fact]
    public async Task A_pull_by_digest_whose_blobs_and_baseline_are_stored_asks_no_registry()
    {
        var repository = TestImages.Repository("offline");
        var image = await TestImages.PushImageAsync(new ImagePusher(registry.Address), repository, "v1");
        var state = Path.Combine(store.Root, "state");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        string[] cli = [Path.Combine(CliDir, "imagecache.dll"), "--state-dir", state, "--json"];
        var first = await RunAsync(dotnet, [.. cli, "pull", $"{registry.Address}/{repository}:v1"]);
        Assert.True(first.Exit == 0, $"imagecache pull failed: {first.Stderr}");

        // The same content by digest from a registry address nothing listens on: everything it needs is stored.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var offline = await RunAsync(dotnet, [.. cli, "pull", $"127.0.0.1:{closedPort}/{repository}@{image.ManifestDigest}"]);

        Assert.True(offline.Exit == 0, $"the offline pull by digest failed: {offline.Stderr}");
        Assert.Contains("already built", offline.Stderr);
        using var record = JsonDocument.Parse(offline.Stdout);
        Assert.Equal($"127.0.0.1:{closedPort}/{repository}@{image.ManifestDigest}", record.RootElement.GetProperty("resolved_ref").GetString());
        using var firstRecord = JsonDocument.Parse(first.Stdout);
        Assert.Equal(firstRecord.RootElement.GetProperty("output_path").GetString(), record.RootElement.GetProperty("output_path").GetString());
    }
}
