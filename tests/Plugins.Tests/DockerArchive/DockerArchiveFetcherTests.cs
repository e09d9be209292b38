using System.Formats.Tar;
using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Fetchers.Oci;
using ImageCache.Host.Blobs;
using ImageCache.Plugins.Tests.Oci;
using Xunit;

namespace ImageCache.Plugins.Tests.DockerArchive;

// The tests that count the private extraction directories under the temp directory must not overlap with any other
// docker-archive fetch: one collection with the skopeo interop tests.
[Collection(DockerSave.Collection)]
public sealed class DockerArchiveFetcherTests : IDisposable
{
    const string TarType = "application/vnd.oci.image.layer.v1.tar";
    const string GzipType = "application/vnd.oci.image.layer.v1.tar+gzip";

    readonly TempDir _temp = new();
    readonly OciBlobStore _store;
    readonly DockerSave _save = new();

    public DockerArchiveFetcherTests() => _store = new OciBlobStore(_temp.Sub("store"));

    public void Dispose() => _temp.Dispose();

    static string[] ExtractionDirs() => Directory.GetDirectories(Path.GetTempPath(), "imagecache-docker-archive-*");

    TestDockerImage TwoLayerImage(string[]? tags = null, string arch = "amd64") => _save.AddImage(tags ?? ["busybox:latest"],
        [TestLayer.Plain(("etc/hello.txt", "hello " + arch)), TestLayer.Plain(("etc/world.txt", "world"))], arch);

    string Archive(string name = "image.tar", bool gzip = false, Func<string, bool>? skip = null, Action<TarWriter>? extra = null)
    {
        var path = _temp.Sub(name);
        _save.Write(path, gzip, skip, extra);
        return path;
    }

    [Fact]
    public async Task A_two_layer_image_lands_verified_with_a_synthesised_oci_manifest_and_the_extraction_is_deleted()
    {
        var image = TwoLayerImage();
        var archive = Archive();
        var before = ExtractionDirs();

        var fetched = await DockerSave.Fetch(archive, _store);

        Assert.Equal($"docker-archive:{archive}@{fetched.ManifestDigest}", fetched.ResolvedReference);
        Assert.Null(fetched.IndexDigest);
        Assert.Equal(new PlatformSpec("linux", "amd64"), fetched.Platform);
        Assert.Equal(image.ConfigDigest, fetched.ConfigDigest);
        Assert.Equal(image.Layers.Select(l => new LayerDescriptor(l.Digest, TarType, l.Blob.Length, l.DiffId)), fetched.Layers);
        foreach (var digest in (string[])[fetched.ManifestDigest, fetched.ConfigDigest, .. image.Layers.Select(l => l.Digest)])
            Assert.True(await _store.VerifyAsync(digest, CancellationToken.None), digest);

        using var manifest = JsonDocument.Parse(_store.OpenRead(fetched.ManifestDigest));
        var root = manifest.RootElement;
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", root.GetProperty("mediaType").GetString());
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("application/vnd.oci.image.config.v1+json", root.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal(image.ConfigDigest, root.GetProperty("config").GetProperty("digest").GetString());
        Assert.Equal(image.Layers.Select(l => l.Digest), root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()));
        Assert.Equal(before, ExtractionDirs());
    }

    [Fact]
    public async Task The_same_archive_fetched_twice_gives_the_same_manifest_digest_and_the_resolved_reference_fetches_it_again()
    {
        TwoLayerImage();
        var archive = Archive();
        var progress = new RecordingProgress();

        var first = await DockerSave.Fetch(archive, _store);
        var second = await DockerSave.Fetch(archive, new OciBlobStore(_temp.Sub("store2")));
        var again = await DockerSave.Fetch(archive, _store, progress: progress);
        var pinned = await DockerSave.Fetch(first.ResolvedReference["docker-archive:".Length..], _store);

        Fetch.AssertSame(first, second);
        Fetch.AssertSame(first, again);
        Fetch.AssertSame(first, pinned);
        Assert.All(progress.Reports, r => Assert.True(r.Reused));
    }

    [Theory]
    [InlineData("busybox")]
    [InlineData("busybox:latest")]
    [InlineData("docker.io/library/busybox:latest")]
    public async Task A_reference_selects_by_RepoTags_with_latest_and_docker_hub_normalisation(string reference)
    {
        var image = TwoLayerImage();
        var archive = Archive();

        var fetched = await DockerSave.Fetch($"{archive}:{reference}", _store);

        Assert.Equal(image.ConfigDigest, fetched.ConfigDigest);
    }

    [Fact]
    public async Task A_multi_image_archive_needs_a_reference_and_unknown_ones_list_the_tags()
    {
        TwoLayerImage(["busybox:latest"]);
        var arm = TwoLayerImage(["example.com/app:1.0", "app:arm"], "arm64");
        var archive = Archive();

        var fetched = await DockerSave.Fetch($"{archive}:example.com/app:1.0", _store, Fetch.Arm64);
        var byImageId = await DockerSave.Fetch($"{archive}@{arm.ConfigDigest}", _store);
        var none = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(archive, _store));
        var unknown = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch($"{archive}:nope:1", _store));
        var wrongPlatform = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch($"{archive}:app:arm", _store, Fetch.Amd64));

        Assert.Equal(arm.ConfigDigest, fetched.ConfigDigest);
        Assert.Equal(new PlatformSpec("linux", "arm64"), fetched.Platform);
        Fetch.AssertSame(fetched, byImageId);
        Assert.Equal($"docker-archive:{archive}: the archive holds 2 images; name one with docker-archive:{archive}:REF (tags: busybox:latest, example.com/app:1.0, app:arm)", none.Message);
        Assert.Equal($"docker-archive:{archive}: no image tagged 'nope:1'; the archive has: busybox:latest, example.com/app:1.0, app:arm", unknown.Message);
        Assert.Equal($"docker-archive:{archive}: the image is for linux/arm64, not the requested linux/amd64", wrongPlatform.Message);
    }

    [Fact]
    public async Task Gzip_layers_and_a_gzipped_archive_are_read_and_the_gzip_diff_id_is_checked()
    {
        var image = _save.AddImage(["gz:1"], [TestLayer.Gzip(("a.txt", "a")), TestLayer.Plain(("b.txt", "b"))]);
        var archive = Archive("image.tar.gz", gzip: true);

        var fetched = await DockerSave.Fetch(archive, _store);

        Assert.Equal([GzipType, TarType], fetched.Layers.Select(l => l.MediaType));
        Assert.Equal(image.Layers.Select(l => l.DiffId), fetched.Layers.Select(l => l.DiffId));
        Assert.True(await _store.VerifyAsync(image.Layers[0].Digest, CancellationToken.None));
    }

    /// <summary>
    /// The host hands the fetcher a scratch directory inside its state directory (collected after a crash): a
    /// gzipped archive's members are spooled there, never under the system temp directory.
    /// </summary>
    [Fact]
    public async Task A_gzipped_archive_is_spooled_in_the_hosts_scratch_directory_and_nothing_goes_to_the_temp_directory()
    {
        _save.AddImage(["gz:1"], [TestLayer.Gzip(("a.txt", "a")), TestLayer.Plain(("b.txt", "b"))]);
        var archive = Archive("image.tar.gz", gzip: true);
        var scratch = _temp.Sub("scratch");
        Directory.CreateDirectory(scratch);
        var before = ExtractionDirs();
        var seen = new SnapshottingStore(_store, scratch);

        var fetched = await new DockerArchiveFetcher().FetchAsync(
            new FetchRequest(archive, null, seen, false, null) { ScratchDirectory = scratch }, CancellationToken.None);

        Assert.Equal(2, fetched.Layers.Count);
        Assert.Contains(seen.FilesSeen, path => path.StartsWith(scratch + "/", StringComparison.Ordinal));
        Assert.Equal(before, ExtractionDirs());
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch)); // the fetcher cleans its part up too
    }

    /// <summary>Records which files exist under a directory each time a blob is stored.</summary>
    sealed class SnapshottingStore(IBlobStore inner, string watched) : IBlobStore
    {
        public List<string> FilesSeen { get; } = [];

        public bool Contains(string digest) => inner.Contains(digest);

        public Stream OpenRead(string digest) => inner.OpenRead(digest);

        public Task<string> PutAsync(Stream content, string? expectedDigest, long? expectedSize, CancellationToken cancellationToken)
        {
            FilesSeen.AddRange(Directory.EnumerateFiles(watched, "*", SearchOption.AllDirectories));
            return inner.PutAsync(content, expectedDigest, expectedSize, cancellationToken);
        }
    }

    [Fact]
    public async Task A_zstd_layer_is_stored_as_is_with_the_zstd_media_type()
    {
        byte[] zstd = [0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4];
        var layer = new TestLayer(zstd, "not checked"u8.ToArray());
        _save.AddImage(["z:1"], [layer]);

        var fetched = await DockerSave.Fetch(Archive(), _store);

        Assert.Equal(new LayerDescriptor(layer.Digest, "application/vnd.oci.image.layer.v1.tar+zstd", zstd.Length, layer.DiffId), Assert.Single(fetched.Layers));
    }

    [Fact]
    public async Task A_diff_id_mismatch_is_refused_and_nothing_is_stored()
    {
        var layer = TestLayer.Plain(("a.txt", "a"));
        var wrong = TestLayout.Sha256("other"u8.ToArray());
        _save.AddImage(["x:1"], [layer], diffIds: [wrong]);
        var archive = Archive();

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(archive, _store));

        Assert.Equal($"docker-archive:{archive}: layer 0 ({layer.Digest[7..]}/layer.tar): diff_id mismatch: the config says {wrong}, the layer's uncompressed digest is {layer.DiffId}", error.Message);
        Assert.Empty(_store.EnumerateBlobs());
    }

    [Fact]
    public async Task A_diff_id_count_different_from_the_layer_count_is_refused()
    {
        var layer = TestLayer.Plain(("a.txt", "a"));
        _save.AddImage(["x:1"], [layer], diffIds: [layer.DiffId, layer.DiffId]);
        var archive = Archive();

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(archive, _store));

        Assert.EndsWith("rootfs.diff_ids has 2 entries but manifest.json lists 1 layers", error.Message);
    }

    [Theory]
    [InlineData("../etc/passwd", "escapes the archive ('..')")]
    [InlineData("a/../../etc/passwd", "escapes the archive ('..')")]
    [InlineData("/etc/passwd", "is an absolute path")]
    public async Task A_layer_path_escaping_the_archive_is_refused_and_the_extraction_is_deleted(string path, string reason)
    {
        var image = TwoLayerImage();
        image.ManifestEntry["Layers"]![1] = path;
        var archive = Archive();
        var before = ExtractionDirs();

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(archive, _store));

        Assert.Equal($"docker-archive:{archive}: manifest.json[0]: Layers[1] '{path}' {reason}", error.Message);
        Assert.Equal(before, ExtractionDirs());
    }

    [Fact]
    public async Task A_symlinked_layer_entry_as_classic_docker_save_writes_for_shared_layers_is_followed_inside_the_archive()
    {
        var image = TwoLayerImage();
        var target = image.Layers[1].Digest[7..] + "/layer.tar";
        image.ManifestEntry["Layers"]![1] = "link/layer.tar";
        var archive = Archive(extra: w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link/layer.tar") { LinkName = "../" + target }));

        var fetched = await DockerSave.Fetch(archive, _store);

        Assert.Equal(image.Layers.Select(l => l.Digest), fetched.Layers.Select(l => l.Digest));
        Assert.Equal(image.Layers.Select(l => l.DiffId), fetched.Layers.Select(l => l.DiffId));
        Assert.True(await _store.VerifyAsync(image.Layers[1].Digest, CancellationToken.None));
    }

    [Fact]
    public async Task A_symlinked_layer_entry_leaving_the_archive_is_refused()
    {
        var image = TwoLayerImage();
        image.ManifestEntry["Layers"]![1] = "link/layer.tar";
        var archive = Archive(extra: w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link/layer.tar") { LinkName = "../../etc/passwd" }));

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(archive, _store));

        Assert.Equal($"docker-archive:{archive}: refusing archive entry 'link/layer.tar': it is a link outside the archive ('../../etc/passwd')", error.Message);
        Assert.Empty(_store.EnumerateBlobs());
    }

    [Fact]
    public async Task Missing_files_layers_and_manifests_and_non_tars_fail_with_one_line_messages()
    {
        var image = TwoLayerImage();
        var missingLayer = Archive("missing-layer.tar", skip: p => p == image.Layers[1].Digest[7..] + "/layer.tar");
        var noManifest = Archive("no-manifest.tar", skip: p => p == "manifest.json");
        var notTar = _temp.Sub("not-a-tar");
        File.WriteAllText(notTar, new string('x', 2000));
        var nowhere = _temp.Sub("nowhere.tar");

        var errors = new List<string>();
        foreach (var location in (string[])[missingLayer, noManifest, notTar, nowhere, $"{missingLayer}:busybox", _temp.Path])
            errors.Add((await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(location, _store))).Message);

        Assert.Equal($"docker-archive:{missingLayer}: '{image.Layers[1].Digest[7..]}/layer.tar' named in manifest.json is missing from the archive", errors[0]);
        Assert.Equal($"docker-archive:{noManifest}: not a docker save archive (no manifest.json)", errors[1]);
        Assert.Equal($"docker-archive:{notTar}: not a valid tar archive: the first 512 bytes are not a tar header (its checksum field is not an octal number)", errors[2]);
        Assert.Equal($"docker-archive:{nowhere}: no such file", errors[3]);
        Assert.Equal(errors[0], errors[4]);
        Assert.Equal($"docker-archive:{_temp.Path}: is a directory, not an archive", errors[5]);
        Assert.All(errors, e => Assert.DoesNotContain('\n', e));
        Assert.Empty(_store.EnumerateBlobs());
    }

    [Fact]
    public async Task Docker_25_blob_paths_are_read_and_must_match_their_content()
    {
        var image = TwoLayerImage();
        var layer = image.Layers[1];
        var wrongName = "blobs/sha256/" + new string('0', 64);
        image.ManifestEntry["Layers"]![1] = "blobs/sha256/" + layer.Digest[7..];
        var good = Archive("v25.tar", extra: w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "blobs/sha256/" + layer.Digest[7..]) { DataStream = new MemoryStream(layer.Blob) }));
        image.ManifestEntry["Layers"]![1] = wrongName;
        var bad = Archive("v25-bad.tar", extra: w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, wrongName) { DataStream = new MemoryStream(layer.Blob) }));

        var fetched = await DockerSave.Fetch(good, _store);
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => DockerSave.Fetch(bad, _store));

        Assert.Equal(image.Layers.Select(l => l.Digest), fetched.Layers.Select(l => l.Digest));
        Assert.Equal($"docker-archive:{bad}: layer 1 ({wrongName}): digest mismatch: its name says sha256:{new string('0', 64)}, the content is {layer.Digest}", error.Message);
    }

    [Fact]
    public void The_location_is_split_at_the_first_colon_whose_prefix_is_a_file()
    {
        var file = _temp.Sub("a:b.tar");
        File.WriteAllBytes(file, []);

        Assert.Equal(new SourceLocation(file, null, null), DockerArchiveFetcher.ParseLocation(file));
        Assert.Equal(new SourceLocation(file, "busybox:1.36", null), DockerArchiveFetcher.ParseLocation(file + ":busybox:1.36"));
        Assert.Equal(new SourceLocation(file, null, "sha256:" + new string('a', 64)), DockerArchiveFetcher.ParseLocation(file + "@sha256:" + new string('a', 64)));
    }
}
