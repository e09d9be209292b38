using ImageCache.Core;
using ImageCache.Host.Operations;

namespace ImageCache.Builders.Tests;

/// <summary>A private scratch directory per test: OCI layouts, state directories, read-back scratch. Deleted on dispose.</summary>
internal sealed class Harness : IDisposable
{
    public static readonly string[] Builders = ["ext4", "mke2fs", "squashfs"];

    public string Root { get; } = Directory.CreateTempSubdirectory("imagecache-builders-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>src/Cli's output folder holds the published plugins (build/PublishPlugins.targets).</summary>
    public static string PluginsDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name, "plugins");
            if (!Directory.Exists(Path.Combine(dir, "ImageCache.Builders.Mke2fs"))) Assert.Fail($"{dir} holds no published plugins; build src/Cli");
            return dir;
        }
    }

    public string Layout(string name, params byte[][] layers) => OciImage.Write(Path.Combine(Root, "layouts", name), layers);

    /// <summary>Pulls the layout's image with a builder into a fresh state directory; returns the sealed output file.</summary>
    public async Task<string> PullAsync(string layout, string builder, bool allowSetuid = true, string stateName = "", ExtractionLimits? limits = null, long? sizeMiB = null)
    {
        var state = Path.Combine(Root, "state-" + builder + stateName);
        var client = new ImageCacheClient(new ImageCacheOptions { StateDir = state });
        var record = await client.PullAsync(new PullRequest($"oci:{layout}:{OciImage.Tag}", "linux/amd64", builder, sizeMiB, allowSetuid, [PluginsDir], Limits: limits));
        Assert.True(File.Exists(record.OutputPath), $"{builder}: no output at {record.OutputPath}");
        return record.OutputPath;
    }

    /// <summary>The tree a builder's output holds, read back with the tools of its format.</summary>
    public FsTree ReadBack(string image) =>
        image.EndsWith(".sqfs", StringComparison.Ordinal)
            ? TreeReaders.FromSquashfs(image)
            : TreeReaders.FromExt4(image, Path.Combine(Root, "readback-" + Guid.NewGuid().ToString("N")));

    /// <summary>
    /// What <c>umoci unpack</c> (as root; <c>--rootless</c> otherwise) makes of the same layout, plus the runtime
    /// directories every baseline has (0755 root-owned, the root's time) when the image lacks them.
    /// </summary>
    public FsTree Expected(string layout)
    {
        var bundle = Path.Combine(Root, "umoci-" + Guid.NewGuid().ToString("N"));
        var arguments = new List<string> { "unpack" };
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root") arguments.Add("--rootless");
        arguments.AddRange(["--image", $"{layout}:{OciImage.Tag}", bundle]);
        Tools.RunOk("umoci", [.. arguments]);
        var tree = TreeReaders.FromDirectory(Path.Combine(bundle, "rootfs"));
        var root = tree[""];
        foreach (var path in new[] { "proc", "sys", "dev", "dev/pts" })
            if (!tree.Contains(path)) tree.Nodes[path] = new FsNode('d', 0b111_101_101, 0, 0, 0, null, null, null, "", root.Mtime, null);
        return tree;
    }
}
