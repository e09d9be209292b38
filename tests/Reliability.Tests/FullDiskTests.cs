using System.Diagnostics;
using ImageCache.Builders.Tests;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// A state directory on a 20 MiB tmpfs (mounted here; the test needs root and fails without it): a pull that does not
/// fit fails with one clear line and publishes nothing, its temp files are gone, and a pull that fits then works.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class FullDiskTests : IDisposable
{
    readonly Sandbox sandbox = new();
    bool mounted;

    public FullDiskTests()
    {
        Directory.CreateDirectory(sandbox.State);
        var (code, text) = Run("mount", "-t", "tmpfs", "-o", "size=20m,mode=0700", "tmpfs", sandbox.State);
        Assert.True(code == 0, $"mounting a 20 MiB tmpfs on {sandbox.State} failed (the full-disk test needs root): {text}");
        mounted = true;
    }

    public void Dispose()
    {
        if (mounted)
        {
            var (code, _) = Run("umount", sandbox.State);
            if (code != 0) Run("umount", "-l", sandbox.State);
        }
        sandbox.Dispose();
    }

    static (int Code, string Text) Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(info)!;
            var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, text);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, $"{tool}: {e.Message}"); }
    }

    /// <summary>A layer of incompressible data: <paramref name="mib"/> MiB in the blob store, the same again in the spool.</summary>
    string Layout(string name, int mib)
    {
        var data = new byte[mib << 20];
        new Random(mib).NextBytes(data);
        return OciImage.Write(Path.Combine(sandbox.Inputs, name), new LayerTar().Dir("./").File("blob", data).Finish());
    }

    void AssertNothingPublished(string context)
    {
        var index = Invariants.CheckIndexAndBlobs(sandbox.State, [], context);
        Assert.True(index.Images.Count == 0, $"{context}: a record was published");
        Assert.True(!Directory.Exists(sandbox.RootfsDir) || !Directory.EnumerateFileSystemEntries(sandbox.RootfsDir).Any(), $"{context}: a baseline was published");
        var tmp = Path.Combine(sandbox.State, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), $"{context}: temp files left in {tmp}");
        Assert.Equal(0, Invariants.PartialBlobs(sandbox.State));
        Invariants.AssertNoStaleTemps(sandbox.State, context);
    }

    static void AssertOneClearLine(CliResult result, string context)
    {
        Assert.True(result.ExitCode == 1, $"{context}: {result}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal) && !lines[0].Contains("internal error", StringComparison.Ordinal),
            $"{context}: not one clear error line: {result.Error}");
        Assert.Contains("No space left on device", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pull_that_does_not_fit_fails_cleanly_and_a_pull_that_fits_then_works()
    {
        // 12 MiB fits the blob store but not the spool beside it (the build would need a third copy anyway).
        var spoolTooBig = await sandbox.RunAsync("-q", "pull", $"oci:{Layout("spool", 12)}:{OciImage.Tag}");
        AssertOneClearLine(spoolTooBig, "a layer that fits the blob store but not the build");
        AssertNothingPublished("after the failed build");

        // 24 MiB does not even fit the blob store: the partial blob goes too.
        var blobTooBig = await sandbox.RunAsync("-q", "pull", $"oci:{Layout("blob", 24)}:{OciImage.Tag}");
        AssertOneClearLine(blobTooBig, "a layer bigger than the disk");
        AssertNothingPublished("after the failed fetch");

        // What was stored of the first image stays (its blobs are verified) and does not stop a small pull.
        var small = await sandbox.RunAsync("-q", "pull", $"oci:{OciImage.Write(Path.Combine(sandbox.Inputs, "small"), new LayerTar().Dir("./").File("etc/ok", "fits\n").Finish())}:{OciImage.Tag}");
        Assert.True(small.ExitCode == 0, $"a small pull after the full disk failed: {small}");
        await Invariants.CheckAllAsync(sandbox, [], "after the full-disk pulls");
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.HostTemp));
    }
}
