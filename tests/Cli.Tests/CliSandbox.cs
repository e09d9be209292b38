using System.Text.Json;

namespace ImageCache.Cli.Tests;

/// <summary>
/// A fresh temporary directory per test with a state directory laid out as the Go original left it: the sample
/// index (samples/state/images/index.json) with its paths moved into the sandbox, one store file shared by
/// <c>busybox</c> and <c>local/busybox:tagged</c>, and a workspace rootfs of <c>python:3.13-slim</c> outside the store.
/// </summary>
internal sealed class CliSandbox : IDisposable
{
    public const string BusyboxDigest = "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7";
    const string OriginalStateDir = "/home/dev/.microagent";

    public CliSandbox()
    {
        var root = Directory.CreateTempSubdirectory("imagecache-cli-").FullName;
        Root = new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root;
        State = Path.Combine(Root, "state");
    }

    public string Root { get; }
    public string State { get; }
    public string ImagesDir => Path.Combine(State, "images");
    public string IndexFile => Path.Combine(ImagesDir, "index.json");
    public string RootfsDir => Path.Combine(ImagesDir, "rootfs");
    public string SharedBaseline => Path.Combine(RootfsDir, "3f1c2a9b8d7e6f5a4b3c2d1e.ext4");
    public string WorkspaceRootfs => Path.Combine(State, "workspaces", "research", "rootfs.ext4");

    /// <summary>The Go-format sample index, copied to the output directory by the project file.</summary>
    public static string SampleIndexPath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "go-index.json");

    /// <summary>Lays out the Go original's state (see the class summary) and returns this sandbox.</summary>
    public CliSandbox WithGoState()
    {
        if (!File.Exists(SampleIndexPath)) Assert.Fail($"the Go-format fixture {SampleIndexPath} is missing; the project copies it from samples/state/images/index.json");
        var text = File.ReadAllText(SampleIndexPath).Replace(OriginalStateDir, State, StringComparison.Ordinal);
        Directory.CreateDirectory(RootfsDir);
        File.WriteAllText(IndexFile, text);
        WriteFile(SharedBaseline, "shared baseline of busybox and local/busybox:tagged");
        WriteFile(WorkspaceRootfs, "a workspace disk, not a baseline");
        return this;
    }

    public static void WriteFile(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public byte[] IndexBytes() => File.ReadAllBytes(IndexFile);

    /// <summary>Every path under the state directory with its size and write time, to show that nothing changed.</summary>
    public string[] Snapshot() =>
        Directory.Exists(State)
            ? Directory.EnumerateFileSystemEntries(State, "*", SearchOption.AllDirectories)
                .Select(p => $"{Path.GetRelativePath(State, p)} {(File.Exists(p) ? new FileInfo(p).Length : -1)} {File.GetLastWriteTimeUtc(p).Ticks}")
                .Order(StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>The <c>image_ref</c>s of a JSON array of records, sorted.</summary>
    public static string[] Refs(JsonElement array) =>
        array.EnumerateArray().Select(r => r.GetProperty("image_ref").GetString()!).Order(StringComparer.Ordinal).ToArray();
}
