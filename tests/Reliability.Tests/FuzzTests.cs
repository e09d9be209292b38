using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using ImageCache.Builders.Tests;
using ImageCache.Contracts;
using ImageCache.Core;
using ImageCache.Fetchers.Shared;
using ImageCache.Host.Layers;
using ImageCache.Host.Storage;
using Xunit.Abstractions;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// Mutation fuzzing (<see cref="Mutator"/>, CsCheck) of the parsers hostile bytes reach first: the layer tar reader,
/// the image document parsers (index, manifest, config) the fetchers share, the state index reader and the
/// reference/digest/platform parsers. Each runs for a bounded time (CI a few seconds, soak minutes) and may only fail
/// with its documented exception, whose message is one line; anything else is a bug, kept as a named regression test
/// in <see cref="FuzzRegressionTests"/>.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    static readonly int Seconds = Soak.Pick(4, 120);

    void Report(string target, long runs, long refused) =>
        output.WriteLine($"{target}: {runs} executions in {Seconds} s, {refused} refused with the documented exception, 0 other failures");

    static readonly byte[][] TarCorpus =
    [
        new LayerTar().Dir("./").Dir("etc/", uid: 5, gid: 6).File("etc/passwd", "root:x:0:0::/root:/bin/sh\n").Symlink("bin", "usr/bin").HardLink("etc/hard", "etc/passwd")
            .CharDevice("dev/null", 1, 3).BlockDevice("dev/sda", 8, 0).Fifo("run/fifo").File("x", "y", xattrs: new Dictionary<string, byte[]> { ["security.capability"] = [1, 0, 0, 2, 0xFF, 10] }).Finish(),
        new LayerTar().File(new string('l', 150) + "/" + new string('m', 120), "long").Symlink("s", new string('t', 300)).Finish(),
        SystemTar(System.Formats.Tar.TarEntryFormat.Gnu),
        SystemTar(System.Formats.Tar.TarEntryFormat.Ustar),
        SystemTar(System.Formats.Tar.TarEntryFormat.V7),
    ];

    static byte[] SystemTar(System.Formats.Tar.TarEntryFormat format)
    {
        var stream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(stream, format, leaveOpen: true))
        {
            writer.WriteEntry(format switch
            {
                System.Formats.Tar.TarEntryFormat.Gnu => new System.Formats.Tar.GnuTarEntry(System.Formats.Tar.TarEntryType.RegularFile, new string('g', 140)) { DataStream = new MemoryStream(new byte[700]) },
                System.Formats.Tar.TarEntryFormat.Ustar => new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, new string('u', 60) + "/" + new string('p', 90)) { DataStream = new MemoryStream(new byte[30]) },
                _ => new System.Formats.Tar.V7TarEntry(System.Formats.Tar.TarEntryType.V7RegularFile, "v7file") { DataStream = new MemoryStream(new byte[513]) },
            });
            writer.WriteEntry(format == System.Formats.Tar.TarEntryFormat.V7
                ? new System.Formats.Tar.V7TarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "link") { LinkName = "v7file" }
                : new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.Directory, "d/"));
        }
        return stream.ToArray();
    }

    /// <summary>Reads every entry and all of its data; returns the entry count.</summary>
    internal static async Task<int> ReadAllAsync(byte[] archive)
    {
        await using var reader = new TarReader(new MemoryStream(archive), leaveOpen: false);
        var entries = 0;
        var buffer = new byte[4096];
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            // More entries than 512-byte blocks would mean the reader is not moving forward.
            Assert.True(++entries <= archive.Length / 512 + 1, "the tar reader returned more entries than the archive has blocks");
            if (entry.Header.Kind == TarEntryKind.RegularFile && entries % 2 == 0)
                while (await entry.DataStream.ReadAsync(buffer) > 0) { }
        }
        return entries;
    }

    [Fact]
    public void The_tar_reader_fails_only_with_InvalidDataException()
    {
        long runs = 0, refused = 0;
        Mutator.Over(TarCorpus).Sample(archive =>
        {
            Interlocked.Increment(ref runs);
            try { ReadAllAsync(archive).GetAwaiter().GetResult(); }
            catch (InvalidDataException e)
            {
                Interlocked.Increment(ref refused);
                Assert.DoesNotContain('\n', e.Message);
            }
        }, time: Seconds, threads: 1);
        Report("TarReader", runs, refused);
    }

    static readonly string Digest1 = "sha256:" + new string('a', 64);
    static readonly string Digest2 = "sha256:" + new string('b', 64);

    static readonly byte[][] DocumentCorpus =
    [
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = MediaTypes.OciManifest, ["digest"] = Digest1, ["size"] = 500,
                ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "arm64", ["variant"] = "v8" },
                ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" },
            }),
        }.ToJsonString()),
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = Digest1, ["size"] = 300 },
            ["layers"] = new JsonArray(
                new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = Digest2, ["size"] = 1234 },
                new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = Digest1, ["size"] = 0, ["urls"] = new JsonArray("http://x") }),
        }.ToJsonString()),
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux", ["variant"] = "",
            ["config"] = new JsonObject { ["Env"] = new JsonArray("PATH=/bin"), ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest1, Digest2) },
        }.ToJsonString()),
    ];

    [Fact]
    public void The_image_document_parsers_fail_only_with_ImageSourceException()
    {
        long runs = 0, refused = 0;
        Mutator.Over(DocumentCorpus).Sample(bytes =>
        {
            foreach (var parse in new Action[]
            {
                () => ImageDocuments.ParseIndex(bytes, "index", null),
                () => ImageDocuments.ParseIndex(bytes, "index", MediaTypes.OciIndex),
                () => ImageDocuments.SniffMediaType(bytes, "document"),
                () => ImageDocuments.ParseManifest(bytes, "manifest", MediaTypes.OciManifest),
                () => ImageDocuments.ParseConfig(bytes, "config", 2),
                () => ImageDocuments.ParseConfig(bytes, "config", 0),
            })
            {
                Interlocked.Increment(ref runs);
                try { parse(); }
                catch (ImageSourceException e)
                {
                    Interlocked.Increment(ref refused);
                    Assert.DoesNotContain('\n', e.Message);
                }
            }
        }, time: Seconds, threads: 1);
        Report("ImageDocuments (index, manifest, config, sniff)", runs, refused);
    }

    static readonly byte[][] IndexCorpus =
    [
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "go-index.json")),
        """{"images":null}"""u8.ToArray(),
        """{"images":[{"image_ref":"a","digest":"sha256:00","platform":"linux/amd64","output_path":"/x","size_bytes":1,"layer_digests":["sha256:1"],"created_at":"2024-01-01T00:00:00Z"}],"extra":{"k":[1,2]}}"""u8.ToArray(),
    ];

    [Fact]
    public void The_state_index_reader_fails_only_with_a_clear_error()
    {
        long runs = 0, refused = 0;
        Mutator.Over(IndexCorpus).Sample(bytes =>
        {
            Interlocked.Increment(ref runs);
            try { IndexJson.Deserialize(bytes); }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or FormatException)
            {
                Interlocked.Increment(ref refused);
            }
        }, time: Seconds, threads: 1);
        Report("IndexJson.Deserialize", runs, refused);
    }

    static readonly byte[][] ReferenceCorpus =
    [
        .. new[]
        {
            "busybox", "busybox:1.36", "docker.io/library/busybox:latest", "localhost:5000/a/b_c-d.e:tag",
            "ghcr.io/org/img@sha256:" + new string('c', 64), "127.0.0.1:5000/x:y@sha256:" + new string('d', 64), "[::1]:5000/x",
            "sha256:" + new string('e', 64), "linux/arm64/v8", "linux/amd64",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    [Fact]
    public void Reference_digest_and_platform_parsing_never_throw_and_round_trip()
    {
        long runs = 0, refused = 0;
        Mutator.Over(ReferenceCorpus).Sample(bytes =>
        {
            var text = Encoding.UTF8.GetString(bytes);
            Interlocked.Add(ref runs, 3);
            ImageRef.Parse(text).Match(
                parsed => Assert.Equal(parsed.ToString(), ImageRef.Parse(parsed.ToString()).Match(again => again.ToString(), e => "refused: " + e.Message)),
                _ => Interlocked.Increment(ref refused));
            Digest.Parse(text).Match(d => Assert.Equal(d.ToString(), Digest.Parse(d.ToString()).Match(x => x.ToString(), e => e.Message)), _ => Interlocked.Increment(ref refused));
            Platform.Parse(text).Match(_ => { }, _ => Interlocked.Increment(ref refused));
        }, time: Seconds, threads: 1);
        Report("ImageRef/Digest/Platform.Parse", runs, refused);
    }
}
