using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace ImageCache.Host.Tests.Blobs;

/// <summary>The store is a real OCI layout: skopeo and umoci (required, never skipped) read what it wrote.</summary>
public sealed class InteropTests : IDisposable
{
    readonly BlobSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Skopeo_inspect_sees_the_tagged_image()
    {
        var image = await WriteTaggedImageAsync();
        var (code, stdout, stderr) = await RunAsync("/usr/bin/skopeo", "inspect", $"oci:{sandbox.LayoutDir}:test:v1");
        Assert.True(code == 0, $"skopeo exited {code}: {stderr}");
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal(image.ManifestDigest, (string?)json["Digest"]);
        Assert.Equal(new[] { image.LayerDigest }, json["Layers"]!.AsArray().Select(l => (string)l!).ToArray());
        Assert.Equal("linux", (string?)json["Os"]);
        Assert.Equal("amd64", (string?)json["Architecture"]);
    }

    [Fact]
    public async Task Umoci_ls_lists_the_tag()
    {
        await WriteTaggedImageAsync();
        var (code, stdout, stderr) = await RunAsync("/usr/bin/umoci", "ls", "--layout", sandbox.LayoutDir);
        Assert.True(code == 0, $"umoci exited {code}: {stderr}");
        Assert.Contains("test:v1", stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Umoci_stat_reads_the_manifest_digest_and_layer()
    {
        var image = await WriteTaggedImageAsync();
        var (code, stdout, stderr) = await RunAsync("/usr/bin/umoci", "stat", "--image", $"{sandbox.LayoutDir}:test:v1", "--json");
        Assert.True(code == 0, $"umoci exited {code}: {stderr}");
        Assert.Contains(image.LayerDigest, stdout + stderr);
    }

    async Task<TestImage> WriteTaggedImageAsync()
    {
        var image = await TestImage.WriteAsync(sandbox.Store);
        await sandbox.Index.AddManifestAsync(image.Descriptor, "test:v1", CancellationToken.None);
        return image;
    }

    static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments)
    {
        Assert.True(File.Exists(program), $"{program} is required for this test and is not installed");
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within 60 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
