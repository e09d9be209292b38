using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace ImageCache.Cli.Tests;

/// <summary>
/// <c>imagecache clone REF DEST</c> through the real CLI process, on baselines pulled from the repo's sample image
/// and checked with the real e2fsprogs (e2fsck, dumpe2fs, debugfs) and cmp.
/// </summary>
public sealed class CloneTests : IDisposable
{
    const string Sample = "hello";
    readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    static string RepoRoot
    {
        get
        {
            var repo = new DirectoryInfo(AppContext.BaseDirectory);
            while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "ImageCache.sln"))) repo = repo.Parent;
            Assert.True(repo is not null, "the repository root (ImageCache.sln) was not found above the test output");
            return repo!.FullName;
        }
    }

    /// <summary>src/Cli's own output folder holds the published plugins (build/PublishPlugins.targets).</summary>
    static string PluginsDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var dir = Path.Combine(RepoRoot, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name, "plugins");
            if (!Directory.Exists(Path.Combine(dir, "ImageCache.Builders.Ext4"))) Assert.Fail($"{dir} holds no published plugins; build src/Cli");
            return dir;
        }
    }

    Task<CliResult> Cli(params string[] args) =>
        CliProcess.RunAsync(["--state-dir", sandbox.State, "--plugins-dir", PluginsDir, .. args]);

    /// <summary>Pulls the sample image (tagged <see cref="Sample"/>) with a builder; returns its record.</summary>
    async Task<JsonNode> PullSample(string builder = "ext4")
    {
        var result = await Cli("--json", "pull", $"oci:{Path.Combine(RepoRoot, "samples", "hello-oci")}:v1", "--builder", builder);
        Assert.True(result.ExitCode == 0, result.ToString());
        var tagged = await Cli("tag", (string)JsonNode.Parse(result.Out)!["image_ref"]!, Sample);
        Assert.True(tagged.ExitCode == 0, tagged.ToString());
        return JsonNode.Parse(result.Out)!;
    }

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

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    static long Allocated(string path)
    {
        var fields = Tool("stat", "-c", "%b %B", path).Split(' ', StringSplitOptions.TrimEntries);
        return long.Parse(fields[0]) * long.Parse(fields[1]);
    }

    static string DumpField(string path, string name) =>
        Tool("dumpe2fs", "-h", path).Split('\n').Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    /// <summary>Everything in DEST's directory: a failed clone must leave no temp file there.</summary>
    string[] Litter(string directory) =>
        Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    string VmDir()
    {
        var dir = Path.Combine(sandbox.Root, "vm");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A clone killed mid-copy leaves its hidden temp file beside DEST; the next clone there removes it (its process is gone), never a live one's.</summary>
    [Fact]
    public async Task A_killed_clones_temp_copy_is_removed_by_the_next_clone_to_that_place()
    {
        await PullSample();
        var dir = VmDir();
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        await gone.WaitForExitAsync();
        var abandoned = Path.Combine(dir, $".vm.ext4.imagecache-{gone.Id}-0123456789abcdef0123456789abcdef.tmp");
        var live = Path.Combine(dir, $".vm.ext4.imagecache-{Environment.ProcessId}-fedcba9876543210fedcba9876543210.tmp");
        var other = Path.Combine(dir, $".other.ext4.imagecache-{gone.Id}-0123456789abcdef0123456789abcdef.tmp");
        foreach (var path in new[] { abandoned, live, other }) await File.WriteAllTextAsync(path, "partial copy");

        var cloned = await Cli("clone", Sample, Path.Combine(dir, "vm.ext4"));
        Assert.True(cloned.ExitCode == 0, cloned.ToString());

        Assert.False(File.Exists(abandoned), "the dead clone's temp copy is still there");
        Assert.True(File.Exists(live), "a live process's temp copy was deleted");
        Assert.True(File.Exists(other), "a temp copy for another destination was deleted");
    }

    /// <summary>Cloning uses the baseline: its record's last_used_at moves forward, so --unused-for keeps it.</summary>
    [Fact]
    public async Task A_clone_marks_its_baseline_as_used()
    {
        await PullSample();
        var before = await Cli("--json", "inspect", Sample);
        Assert.True(before.ExitCode == 0, before.ToString());
        var usedBefore = LastUsed(before.Out);
        await Task.Delay(1100); // the index keeps sub-second times, but leave no doubt

        var destination = Path.Combine(sandbox.Root, "vm-used.ext4");
        var cloned = await Cli("clone", Sample, destination);
        Assert.True(cloned.ExitCode == 0, cloned.ToString());

        var after = await Cli("--json", "inspect", Sample);
        var usedAfter = LastUsed(after.Out);
        Assert.True(usedAfter > usedBefore, $"last_used_at {usedBefore:O} → {usedAfter:O}");

        static DateTimeOffset LastUsed(string inspectJson)
        {
            var node = JsonNode.Parse(inspectJson)!;
            if (node is JsonArray array) node = Assert.Single(array)!;
            return DateTimeOffset.Parse((string)node["last_used_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task A_clone_is_an_equal_sparse_writable_copy_and_writing_to_it_leaves_the_baseline_as_sealed()
    {
        var record = await PullSample();
        var baseline = (string)record["output_path"]!;
        var baselineSha = Sha256(baseline);
        var dest = Path.Combine(VmDir(), "rootfs.ext4");

        var result = await Cli("--json", "clone", Sample, dest);

        Assert.True(result.ExitCode == 0, result.ToString());
        var provenance = JsonNode.Parse(result.Out)!;
        Assert.Equal(dest, (string)provenance["output_path"]!);
        Assert.Equal("imagecache-image-store", (string)provenance["builder"]!);
        Assert.Equal("copy-baseline", (string)provenance["builder_phase"]!);
        Assert.Equal((string)record["digest"]!, (string)provenance["digest"]!);
        Assert.Equal(baselineSha, (string)provenance["rootfs_base"]!["sha256"]!);
        Assert.True((bool)provenance["rootfs_base"]!["immutable"]!);
        Assert.Equal(new FileInfo(baseline).Length, (long)provenance["size_bytes"]!);
        Assert.Contains((string)provenance["copy_method"]!, new[] { "reflink", "sparse-copy" });
        Assert.True((bool)provenance["content_verified"]!);

        Tool("cmp", baseline, dest);
        Tool("e2fsck", "-fn", dest);
        Assert.True(Allocated(dest) <= Allocated(baseline), $"the copy allocates {Allocated(dest)} bytes, the baseline {Allocated(baseline)}");
        Assert.True((File.GetUnixFileMode(dest) & UnixFileMode.UserWrite) != 0, "the copy is not writable");
        Assert.Equal(new[] { "rootfs.ext4" }, Litter(Path.GetDirectoryName(dest)!));

        // The VM writes to its copy: the baseline stays as it was sealed.
        var note = Path.Combine(sandbox.Root, "note.txt");
        File.WriteAllText(note, "written by the VM\n");
        Tool("debugfs", "-w", "-R", $"write {note} /etc/vm-note", dest);
        Tool("e2fsck", "-fn", dest);
        Assert.Equal("written by the VM\n", Tool("debugfs", "-R", "cat /etc/vm-note", dest));
        Assert.Equal(baselineSha, Sha256(baseline));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(baseline));
        var verify = await Cli("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Size_mib_grows_the_copy_and_its_ext4_file_system_and_text_output_says_so()
    {
        var record = await PullSample();
        var baseline = (string)record["output_path"]!;
        var baselineSha = Sha256(baseline);
        var dest = Path.Combine(VmDir(), "big.ext4");

        var result = await Cli("clone", Sample, dest, "--size-mib", "256");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Copy:     {dest}", result.Out);
        Assert.Contains("grown from", result.Out);
        Assert.Equal(256L << 20, new FileInfo(dest).Length);
        Tool("e2fsck", "-fn", dest);
        var blocks = long.Parse(DumpField(dest, "Block count"));
        var blockSize = long.Parse(DumpField(dest, "Block size"));
        Assert.Equal(256L << 20, blocks * blockSize);
        Assert.Equal("hello again, from layer 2\n", Tool("debugfs", "-R", "cat /etc/motd", dest));
        Assert.True(Allocated(dest) < 64L << 20, $"the grown copy allocates {Allocated(dest)} bytes: it should stay sparse");
        Assert.Equal(baselineSha, Sha256(baseline));
    }

    [Fact]
    public async Task An_existing_destination_is_refused_without_force_and_replaced_with_it()
    {
        var record = await PullSample();
        var dest = Path.Combine(VmDir(), "rootfs.ext4");
        File.WriteAllText(dest, "the VM's own disk, in use");

        var refused = await Cli("clone", Sample, dest);

        Assert.Contains("already exists; pass --force", refused.AssertOneErrorLine());
        Assert.Equal("the VM's own disk, in use", File.ReadAllText(dest));
        Assert.Equal(new[] { "rootfs.ext4" }, Litter(Path.GetDirectoryName(dest)!));

        var forced = await Cli("clone", Sample, dest, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Tool("cmp", (string)record["output_path"]!, dest);
    }

    [Fact]
    public async Task Shrinking_is_refused_with_the_baseline_size_and_nothing_is_written()
    {
        await PullSample();
        var dir = VmDir();

        var line = (await Cli("clone", Sample, Path.Combine(dir, "small.ext4"), "--size-mib", "8")).AssertOneErrorLine();

        Assert.Contains("smaller than the baseline", line);
        Assert.Contains("MiB", line);
        Assert.Empty(Litter(dir));
    }

    [Fact]
    public async Task Growing_a_squashfs_copy_is_refused_but_a_plain_copy_of_it_works()
    {
        var record = await PullSample("squashfs");
        var dir = VmDir();

        var line = (await Cli("clone", Sample, Path.Combine(dir, "root.sqfs"), "--size-mib", "512")).AssertOneErrorLine();
        Assert.Contains("--size-mib grows ext4 copies only", line);
        Assert.Contains("squashfs", line);
        Assert.Empty(Litter(dir));

        var plain = await Cli("clone", Sample, Path.Combine(dir, "root.sqfs"));
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Tool("cmp", (string)record["output_path"]!, Path.Combine(dir, "root.sqfs"));
        Tool("unsquashfs", "-s", Path.Combine(dir, "root.sqfs"));
    }

    [Fact]
    public async Task A_baseline_changed_since_it_was_sealed_is_not_copied()
    {
        var record = await PullSample();
        var baseline = (string)record["output_path"]!;
        // Damage one byte in place (same size): only the SHA-256 can tell.
        File.SetUnixFileMode(baseline, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var stream = new FileStream(baseline, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 1024 + 100; // inside the ext4 superblock
            var b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0xff));
        }
        File.SetUnixFileMode(baseline, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var dir = VmDir();

        var line = (await Cli("clone", Sample, Path.Combine(dir, "rootfs.ext4"))).AssertOneErrorLine();

        Assert.Contains("no longer matches its record", line);
        Assert.Empty(Litter(dir));
    }

    [Fact]
    public async Task Bad_references_and_destinations_are_refused_with_one_line_and_nothing_written()
    {
        await PullSample();
        var dir = VmDir();

        Assert.Contains("not found", (await Cli("clone", "no-such-image", Path.Combine(dir, "x.ext4"))).AssertOneErrorLine(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("does not exist", (await Cli("clone", Sample, Path.Combine(dir, "missing", "x.ext4"))).AssertOneErrorLine());
        Assert.Contains("is a directory", (await Cli("clone", Sample, dir)).AssertOneErrorLine());
        var before = sandbox.Snapshot();
        Assert.Contains("inside the state directory", (await Cli("clone", Sample, Path.Combine(sandbox.State, "copy.ext4"))).AssertOneErrorLine());
        Assert.Contains("inside the state directory", (await Cli("clone", Sample, Path.Combine(sandbox.RootfsDir, "x.ext4"), "--force")).AssertOneErrorLine());
        Assert.Equal(before, sandbox.Snapshot());
        Assert.Contains("must be positive", (await Cli("clone", Sample, Path.Combine(dir, "x.ext4"), "--size-mib", "0")).AssertOneErrorLine());
        Assert.Empty(Litter(dir));
    }
}
