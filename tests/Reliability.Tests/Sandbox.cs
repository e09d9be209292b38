namespace ImageCache.Reliability.Tests;

/// <summary>
/// A private parent directory per test: <c>state/</c> (the state directory), <c>in/</c> (inputs the test writes),
/// <c>hosttmp/</c> (TMPDIR of the CLI processes) and <c>victim/</c> (where hostile input aims). Everything outside
/// <c>state/</c> is snapshotted to show that a run wrote nothing there.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    public Sandbox()
    {
        var root = Directory.CreateTempSubdirectory("imagecache-reliability-").FullName;
        Root = new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root;
        foreach (var dir in new[] { Inputs, HostTemp, Victim }) Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(Victim, "secret"), "host secret\n");
    }

    public string Root { get; }
    public string State => Path.Combine(Root, "state");
    public string Inputs => Path.Combine(Root, "in");
    public string HostTemp => Path.Combine(Root, "hosttmp");
    public string Victim => Path.Combine(Root, "victim");
    public string RootfsDir => Path.Combine(State, "images", "rootfs");

    public Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(State, HostTemp, args);

    /// <summary>Every path under the sandbox parent outside <c>state/</c>, with kind, size, mode and write time.</summary>
    public string[] SnapshotOutsideState() => Snapshot(Root, skip: State);

    public static string[] Snapshot(string root, string? skip = null) =>
        new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(i => skip is null || !(i.FullName == skip || i.FullName.StartsWith(skip + "/", StringComparison.Ordinal)))
            .Select(i => $"{Path.GetRelativePath(root, i.FullName)} {(i is FileInfo f && i.LinkTarget is null ? f.Length : -1)} {i.LinkTarget} {(int)i.UnixFileMode} {i.LastWriteTimeUtc.Ticks}")
            .Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
