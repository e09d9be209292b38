using System.Text.Json.Nodes;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Host.Tests.Blobs;

public sealed class OciLayoutIndexTests : IDisposable
{
    const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    static readonly string DigestA = "sha256:" + new string('a', 64);
    static readonly string DigestB = "sha256:" + new string('b', 64);
    static readonly string DigestC = "sha256:" + new string('c', 64);

    readonly BlobSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Add_creates_the_layout_and_lists_the_entry()
    {
        await sandbox.Index.AddManifestAsync(new OciDescriptor(ManifestType, DigestA, 123, new OciPlatform("linux", "arm64", "v8")), "app:v1", CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(sandbox.LayoutDir, "oci-layout")));
        Assert.True(Directory.Exists(Path.Combine(sandbox.LayoutDir, "blobs", "sha256")));
        var entry = Assert.Single(sandbox.Index.List());
        Assert.Equal("app:v1", entry.RefName);
        Assert.Equal(new OciDescriptor(ManifestType, DigestA, 123, new OciPlatform("linux", "arm64", "v8")), entry.Descriptor);
        var root = JsonNode.Parse(File.ReadAllText(sandbox.Index.IndexFile))!;
        Assert.Equal(2, (int)root["schemaVersion"]!);
        Assert.Equal("app:v1", (string?)root["manifests"]![0]!["annotations"]![OciLayoutIndex.RefNameAnnotation]);
        Assert.Empty(Directory.GetFiles(sandbox.LayoutDir, ".index.json.tmp-*"));
    }

    [Fact]
    public async Task Add_replace_and_remove_keep_unknown_fields()
    {
        Directory.CreateDirectory(sandbox.LayoutDir);
        File.WriteAllText(Path.Combine(sandbox.LayoutDir, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        File.WriteAllText(sandbox.Index.IndexFile, $$"""
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.oci.image.index.v1+json",
              "x-top": {"keep": [1, 2, 3]},
              "annotations": {"org.example.top": "kept"},
              "manifests": [
                {"mediaType": "{{ManifestType}}", "digest": "{{DigestA}}", "size": 1, "x-entry": true,
                 "annotations": {"io.containerd.image.name": "docker.io/library/other:latest", "org.opencontainers.image.ref.name": "other"} },
                {"mediaType": "{{ManifestType}}", "digest": "{{DigestB}}", "size": 2,
                 "annotations": {"org.opencontainers.image.ref.name": "app:v1"} },
                {"mediaType": "application/x-unknown", "digest": "{{DigestC}}", "size": 3, "future": {"a": null} }
              ]
            }
            """);

        await sandbox.Index.AddManifestAsync(new OciDescriptor(ManifestType, DigestC, 30), "app:v1", CancellationToken.None); // replace
        await sandbox.Index.AddManifestAsync(new OciDescriptor(ManifestType, DigestB, 20), "app:v2", CancellationToken.None); // append

        var entries = sandbox.Index.List();
        Assert.Equal(new string?[] { "other", "app:v1", null, "app:v2" }, entries.Select(e => e.RefName).ToArray());
        Assert.Equal(DigestC, entries[1].Descriptor.Digest);
        Assert.Equal(30, entries[1].Descriptor.Size);

        Assert.True(await sandbox.Index.RemoveAsync("app:v1", CancellationToken.None));
        Assert.False(await sandbox.Index.RemoveAsync("absent", CancellationToken.None));

        var root = JsonNode.Parse(File.ReadAllText(sandbox.Index.IndexFile))!.AsObject();
        Assert.Equal("[1,2,3]", root["x-top"]!["keep"]!.ToJsonString());
        Assert.Equal("kept", (string?)root["annotations"]!["org.example.top"]);
        var manifests = root["manifests"]!.AsArray();
        Assert.Equal(3, manifests.Count);
        Assert.True((bool)manifests[0]!["x-entry"]!);
        Assert.Equal("docker.io/library/other:latest", (string?)manifests[0]!["annotations"]!["io.containerd.image.name"]);
        Assert.Equal("{\"a\":null}", manifests[1]!["future"]!.ToJsonString());
        Assert.Equal("app:v2", (string?)manifests[2]!["annotations"]![OciLayoutIndex.RefNameAnnotation]);
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", File.ReadAllText(Path.Combine(sandbox.LayoutDir, "oci-layout")));
    }

    [Fact]
    public async Task Concurrent_adds_from_several_instances_all_land()
    {
        var tasks = Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            new OciLayoutIndex(sandbox.LayoutDir).AddManifestAsync(
                new OciDescriptor(ManifestType, "sha256:" + i.ToString("x2").PadLeft(64, '0'), i), $"img:{i}", CancellationToken.None)));
        await Task.WhenAll(tasks);
        Assert.Equal(12, sandbox.Index.List().Count);
    }

    /// <summary>
    /// The other process holds the lock until the test lets it go (not for a fixed time: on a loaded CI machine the
    /// test once read "locked" two seconds late and saw the lock freed 0.85 s into its wait).
    /// </summary>
    [Fact]
    public async Task Add_waits_for_another_process_holding_the_index_lock()
    {
        await sandbox.Index.AddManifestAsync(new OciDescriptor(ManifestType, DigestA, 1), "first", CancellationToken.None);
        Assert.True(File.Exists("/usr/bin/flock"), "/usr/bin/flock (util-linux) is required for this test");
        var info = new System.Diagnostics.ProcessStartInfo("/usr/bin/flock")
        {
            RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--exclusive", sandbox.Index.LockFile, "sh", "-c", "echo locked; read release" }) info.ArgumentList.Add(a);
        using var holder = System.Diagnostics.Process.Start(info)!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync());
            var waited = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var adding = sandbox.Index.AddManifestAsync(new OciDescriptor(ManifestType, DigestB, 2), "second", CancellationToken.None,
                notice => { waited.Enqueue(notice); told.TrySetResult(); });
            // Until the add says it waits (after a quiet second), not for a fixed time: a loaded machine may start it late.
            await Task.WhenAny(adding, told.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.False(adding.IsCompleted, "the add finished while another process held the lock");
            Assert.True(told.Task.IsCompleted, "the add waited 30 s without saying so");
            await holder.StandardInput.WriteLineAsync("now");
            await holder.StandardInput.FlushAsync();
            await adding;
            Assert.Single(waited); // told once, after a second of waiting
            Assert.Equal(new string?[] { "first", "second" }, sandbox.Index.List().Select(e => e.RefName).ToArray());
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }
    }

    [Fact]
    public void A_corrupt_index_is_reported()
    {
        Directory.CreateDirectory(sandbox.LayoutDir);
        File.WriteAllText(sandbox.Index.IndexFile, "{ not json");
        var error = Assert.Throws<ImageCacheException>(() => sandbox.Index.List());
        Assert.Equal(HostErrorCodes.IndexCorrupt, error.Code);
        Assert.Contains(sandbox.Index.IndexFile, error.Message);
    }
}
