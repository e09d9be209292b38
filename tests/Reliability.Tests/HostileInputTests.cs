using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using ImageCache.Builders.Tests;
using ImageCache.Host;
using ImageCache.Host.Operations;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// The hostile-input corpus (issue 7), generated here and pulled through the real CLI: each input is refused with one
/// clear line (or, where the image format gives it a meaning, kept inside the image), nothing is written outside the
/// state directory (the sandbox parent, the victim directory and the CLI's TMPDIR are snapshotted), and nothing is
/// published (no baseline, no record, no temp litter). Cases the fetcher and builder suites already cover at their own
/// level (Plugins.Tests, Builders.Tests HostileLayerTests) appear here once more only end to end.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class HostileInputTests : IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>What a case must do: be refused with a message containing <paramref name="Fragment"/>, or succeed with everything kept inside the image.</summary>
    sealed record Expect(bool Refused, string Fragment)
    {
        public static Expect Refusal(string fragment) => new(true, fragment);
        public static readonly Expect Contained = new(false, "");
    }

    static byte[] Tar(Func<LayerTar, LayerTar> build) => build(new LayerTar().Dir("./")).Finish();

    static byte[] PlainTar(params (string Name, byte[] Data)[] files)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, data) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        return stream.ToArray();
    }

    /// <summary>Builds a case's input under the sandbox and returns the pull arguments and the expectation.</summary>
    (string[] Args, Expect Expect) Build(string name)
    {
        var dir = Path.Combine(sandbox.Inputs, name);
        var victim = sandbox.Victim;
        string Layout(params byte[][] layers)
        {
            var image = new HostileImage();
            foreach (var layer in layers) image.Layer(layer);
            return image.WriteLayout(dir);
        }
        string[] Pull(string layout, params string[] extra) => ["pull", $"oci:{layout}:{HostileImage.Tag}", .. extra];

        switch (name)
        {
            case "dotdot-name":
                return (Pull(Layout(Tar(t => t.File("../../victim/pwned", "x")))), Expect.Refusal("'..' component could escape the root"));
            case "absolute-name":
                return (Pull(Layout(Tar(t => t.File(victim + "/pwned", "x")))), Expect.Refusal("absolute names are refused"));
            case "write-through-absolute-symlink-of-an-earlier-layer":
                return (Pull(Layout(Tar(t => t.Symlink("etc", victim)), Tar(t => t.File("etc/pwned", "x")))), Expect.Contained);
            case "write-through-relative-escaping-symlink-of-an-earlier-layer":
                return (Pull(Layout(Tar(t => t.Symlink("up", "../../../../../../../../.." + victim)), Tar(t => t.File("up/pwned", "x")))), Expect.Contained);
            case "hardlink-escaping-with-dotdot":
                return (Pull(Layout(Tar(t => t.HardLink("h", "../../victim/secret")))), Expect.Refusal(".."));
            case "hardlink-to-an-absolute-host-file":
                return (Pull(Layout(Tar(t => t.HardLink("h", victim + "/secret")))), Expect.Refusal("absolute"));
            case "hardlink-through-a-symlink-of-an-earlier-layer":
                return (Pull(Layout(Tar(t => t.Symlink("s", victim)), Tar(t => t.HardLink("h", "s/secret")))), Expect.Refusal("s/secret"));
            case "hardlink-to-a-missing-file":
                return (Pull(Layout(Tar(t => t.HardLink("h", "nowhere")))), Expect.Refusal("nowhere"));
            case "nul-in-name":
                return (Pull(Layout(Tar(t => t.File("a\0b", "x")))), Expect.Refusal("NUL"));
            case "name-component-over-255-bytes":
                return (Pull(Layout(Tar(t => t.File("d" + new string('n', 300), "x")))), Expect.Refusal("255"));
            case "path-deeper-than-the-depth-cap":
                return (Pull(Layout(Tar(t => t.File(string.Concat(Enumerable.Repeat("d/", 600)) + "f", "x")))), Expect.Refusal("levels deep"));
            case "uid-over-32-bits":
                return (Pull(Layout(Tar(t => t.File("f", "x", uid: 1L << 40, gid: 5)))), Expect.Refusal("uid"));
            case "uid-minus-one":
                return (Pull(Layout(Tar(t => t.File("f", "x", uid: uint.MaxValue, gid: uint.MaxValue)))), Expect.Contained); // (uid_t)-1 fits ext4's 32 bits
            case "device-node-as-the-root":
                return (Pull(Layout(new LayerTar().CharDevice("./", 1, 3).Finish())), Expect.Refusal("root"));
            case "device-node-over-etc-passwd-and-huge-numbers":
                return (Pull(Layout(Tar(t => t.Dir("etc/").CharDevice("etc/passwd", 1 << 20, 1 << 30).BlockDevice("tmp", 8, 0)))), Expect.Refusal("device"));
            case "gzip-bomb-one-file":
            {
                var image = new HostileImage { LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip" };
                var tar = Tar(t => t.File("zeros", new byte[64 << 20]));
                image.Layer(HostileImage.Gzip(tar));
                image.DiffIdTars = [tar];
                return (Pull(image.WriteLayout(dir), "--size-mib", "8"), Expect.Refusal("expand to more than 8388608 bytes"));
            }
            case "gzip-bomb-many-files":
            {
                var image = new HostileImage { LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip" };
                var tar = Tar(t => { for (var i = 0; i < 40; i++) t.File($"z{i}", new byte[1 << 20]); return t; });
                image.Layer(HostileImage.Gzip(tar));
                image.DiffIdTars = [tar];
                return (Pull(image.WriteLayout(dir), "--size-mib", "8"), Expect.Refusal("expand to more than 8388608 bytes"));
            }
            case "config-over-4-MiB":
            {
                var image = new HostileImage { EditConfig = c => c["config"]!["Labels"] = new JsonObject { ["big"] = new string('b', 5 << 20) } };
                return (Pull(image.Layer(Tar(t => t)).WriteLayout(dir)), Expect.Refusal("4 MiB"));
            }
            case "manifest-over-4-MiB":
            {
                var image = new HostileImage { EditManifest = m => m["annotations"] = new JsonObject { ["big"] = new string('m', 5 << 20) } };
                return (Pull(image.Layer(Tar(t => t)).WriteLayout(dir)), Expect.Refusal("4 MiB"));
            }
            case "layer-larger-than-its-descriptor-size":
            {
                var image = new HostileImage { EditLayerDescriptors = d => d[0]!["size"] = d[0]!["size"]!.GetValue<long>() - 10 };
                return (Pull(image.Layer(Tar(t => t.File("f", "x"))).WriteLayout(dir)), Expect.Refusal("size"));
            }
            case "layer-smaller-than-its-descriptor-size":
            {
                var image = new HostileImage { EditLayerDescriptors = d => d[0]!["size"] = d[0]!["size"]!.GetValue<long>() + 10 };
                return (Pull(image.Layer(Tar(t => t.File("f", "x"))).WriteLayout(dir)), Expect.Refusal("size"));
            }
            case "layer-content-not-matching-its-digest":
            {
                var image = new HostileImage
                {
                    AfterWrite = (layout, digests) =>
                    {
                        var path = Path.Combine(layout, "blobs", "sha256", digests[0][7..]);
                        var bytes = File.ReadAllBytes(path);
                        bytes[600] ^= 0x20;
                        File.WriteAllBytes(path, bytes);
                    },
                };
                return (Pull(image.Layer(Tar(t => t.File("f", "hello"))).WriteLayout(dir)), Expect.Refusal("digest"));
            }
            case "truncated-layer-blob":
            {
                var image = new HostileImage
                {
                    AfterWrite = (layout, digests) =>
                    {
                        var path = Path.Combine(layout, "blobs", "sha256", digests[0][7..]);
                        var bytes = File.ReadAllBytes(path);
                        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                    },
                };
                return (Pull(image.Layer(Tar(t => t.File("f", new string('q', 5000)))).WriteLayout(dir)), Expect.Refusal("size"));
            }
            case "truncated-gzip-layer-with-a-matching-digest":
            {
                var tar = Tar(t => t.File("f", new string('q', 50_000)).File("g", Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7919 % 251)).ToArray()));
                var gz = HostileImage.Gzip(tar);
                var image = new HostileImage { LayerMediaType = "application/vnd.oci.image.layer.v1.tar+gzip", DiffIdTars = [tar] };
                return (Pull(image.Layer(gz[..(gz.Length * 2 / 3)]).WriteLayout(dir)), Expect.Refusal("layer"));
            }
            case "truncated-tar-layer-with-a-matching-digest":
            {
                var tar = Tar(t => t.File("f", new string('q', 5000)));
                return (Pull(Layout(tar[..2000])), Expect.Refusal("truncated"));
            }
            case "layer-blob-is-a-symlink-to-a-host-file":
            {
                var image = new HostileImage
                {
                    AfterWrite = (layout, digests) =>
                    {
                        var path = Path.Combine(layout, "blobs", "sha256", digests[0][7..]);
                        var copy = Path.Combine(victim, "layer-copy");
                        File.Copy(path, copy);
                        File.Delete(path);
                        File.CreateSymbolicLink(path, copy);
                    },
                };
                return (Pull(image.Layer(Tar(t => t.File("f", "x"))).WriteLayout(dir)), Expect.Refusal("symlink"));
            }
            case "layer-digest-with-path-traversal":
            {
                var image = new HostileImage { EditLayerDescriptors = d => d[0]!["digest"] = "sha256:../../../../victim/secret" };
                return (Pull(image.Layer(Tar(t => t)).WriteLayout(dir)), Expect.Refusal("digest"));
            }
            case "docker-archive-layer-outside-with-dotdot":
            {
                File.WriteAllBytes(Path.Combine(sandbox.Inputs, "outside.tar"), Tar(t => t.File("f", "x")));
                var file = new HostileImage().Layer(Tar(t => t.File("f", "x")))
                    .WriteDockerArchive(Path.Combine(dir, "image.tar"), m => m["Layers"] = new JsonArray("../outside.tar"));
                return (["pull", $"docker-archive:{file}"], Expect.Refusal("escapes the archive"));
            }
            case "docker-archive-config-absolute":
            {
                var file = new HostileImage().Layer(Tar(t => t.File("f", "x")))
                    .WriteDockerArchive(Path.Combine(dir, "image.tar"), m => m["Config"] = victim + "/secret");
                return (["pull", $"docker-archive:{file}"], Expect.Refusal("absolute path"));
            }
            case "docker-archive-layer-member-is-a-symlink-out":
            {
                var file = new HostileImage().Layer(Tar(t => t.File("f", "x")))
                    .WriteDockerArchive(Path.Combine(dir, "image.tar"), m => m["Layers"] = new JsonArray("evil/layer.tar"),
                        w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "evil/layer.tar") { LinkName = victim + "/secret" }));
                return (["pull", $"docker-archive:{file}"], Expect.Refusal("evil/layer.tar"));
            }
            default:
                throw new ArgumentException($"no hostile case {name}");
        }
    }

    public static TheoryData<string> Cases => new(
        "dotdot-name", "absolute-name", "write-through-absolute-symlink-of-an-earlier-layer", "write-through-relative-escaping-symlink-of-an-earlier-layer",
        "hardlink-escaping-with-dotdot", "hardlink-to-an-absolute-host-file", "hardlink-through-a-symlink-of-an-earlier-layer", "hardlink-to-a-missing-file",
        "nul-in-name", "name-component-over-255-bytes", "path-deeper-than-the-depth-cap", "uid-over-32-bits", "uid-minus-one",
        "device-node-as-the-root", "device-node-over-etc-passwd-and-huge-numbers", "gzip-bomb-one-file", "gzip-bomb-many-files",
        "config-over-4-MiB", "manifest-over-4-MiB", "layer-larger-than-its-descriptor-size", "layer-smaller-than-its-descriptor-size",
        "layer-content-not-matching-its-digest", "truncated-layer-blob", "truncated-gzip-layer-with-a-matching-digest", "truncated-tar-layer-with-a-matching-digest",
        "layer-blob-is-a-symlink-to-a-host-file", "layer-digest-with-path-traversal", "docker-archive-layer-outside-with-dotdot", "docker-archive-config-absolute",
        "docker-archive-layer-member-is-a-symlink-out");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_input_is_refused_or_contained_and_nothing_escapes_or_is_published(string name)
    {
        var (args, expect) = Build(name);
        var before = sandbox.SnapshotOutsideState();
        var result = await sandbox.RunAsync(["-q", .. args]);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        // The archive fetchers extract to $TMPDIR (a 0700 directory they delete): the CLI's TMPDIR is the sandbox's
        // hosttmp, whose own mtime therefore changes; it must be empty again, and nothing else may change.
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.HostTemp));
        Assert.Equal(WithoutHostTemp(before), WithoutHostTemp(sandbox.SnapshotOutsideState()));
        Assert.Equal(new[] { "secret" }, Directory.EnumerateFileSystemEntries(sandbox.Victim).Select(p => Path.GetFileName(p)).Where(n => n != "layer-copy").ToArray());
        Invariants.AssertNoStaleTemps(sandbox.State, name);
        Assert.Equal(0, Invariants.PartialBlobs(sandbox.State));
        var tmp = Path.Combine(sandbox.State, "tmp");
        Assert.True(!Directory.Exists(tmp) || !Directory.EnumerateFileSystemEntries(tmp).Any(), $"{name}: temp directories left in {tmp}");
        var index = Invariants.CheckIndexAndBlobs(sandbox.State, [], name);
        if (expect.Refused)
        {
            Assert.True(result.ExitCode == 1, $"{name} was not refused: {result}");
            var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"{name}: not one clear error line: {result.Error}");
            Assert.True(lines[0].Contains(expect.Fragment, StringComparison.Ordinal), $"{name}: the error does not say '{expect.Fragment}': {lines[0]}");
            Assert.True(index.Images.Count == 0, $"{name}: a record was published");
            Assert.True(!Directory.Exists(sandbox.RootfsDir) || !Directory.EnumerateFileSystemEntries(sandbox.RootfsDir).Any(), $"{name}: a baseline was published");
        }
        else
        {
            Assert.True(result.ExitCode == 0, $"{name} failed: {result}");
            Assert.Equal(1, index.Images.Count);
        }
    }

    static string[] WithoutHostTemp(string[] snapshot) => snapshot.Where(line => !line.StartsWith("hosttmp ", StringComparison.Ordinal)).ToArray();

    /// <summary>A tar of very many empty entries meets the entry cap (set small here; the soak mode also runs the real default of 4 million).</summary>
    [Fact]
    public async Task Very_many_empty_entries_meet_the_entry_cap_and_nothing_is_published()
    {
        var entries = Soak.Pick(20_000, 200_000);
        var tar = new LayerTar().Dir("./");
        for (var i = 0; i < entries; i++) tar.File($"e{i}");
        var layout = new HostileImage().Layer(tar.Finish()).WriteLayout(Path.Combine(sandbox.Inputs, "many"));
        var before = sandbox.SnapshotOutsideState();
        var client = new ImageCacheClient(new ImageCacheOptions { StateDir = sandbox.State });
        var error = await Assert.ThrowsAsync<ImageCacheException>(() => client.PullAsync(new PullRequest($"oci:{layout}:{HostileImage.Tag}",
            "linux/amd64", "ext4", null, false, [Cli.PluginsDir], Limits: new ExtractionLimits(MaxEntries: entries / 2))));
        Assert.Contains($"more than {entries / 2} entries", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(before, sandbox.SnapshotOutsideState());
        Assert.Equal(0, Invariants.CheckIndexAndBlobs(sandbox.State, [], "entry cap").Images.Count);
        Assert.True(!Directory.Exists(sandbox.RootfsDir) || !Directory.EnumerateFileSystemEntries(sandbox.RootfsDir).Any());
        Invariants.AssertNoStaleTemps(sandbox.State, "entry cap");
    }
}
