using System.Formats.Tar;
using System.IO.Compression;
using ImageCache.Contracts;
using ImageCache.Host.Blobs;
using Xunit;

namespace ImageCache.Plugins.Tests.Oci;

// One class: the tests that count the private extraction directories under the temp directory must not overlap.
public sealed class OciArchiveFetcherTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly OciBlobStore _store;
    readonly TestLayout _layout;

    public OciArchiveFetcherTests()
    {
        _store = new OciBlobStore(_temp.Sub("store"));
        _layout = new TestLayout(_temp.Sub("layout"));
    }

    public void Dispose() => _temp.Dispose();

    static string[] ExtractionDirs() => Directory.GetDirectories(Path.GetTempPath(), "imagecache-oci-archive-*");

    [Fact]
    public async Task An_archive_of_a_multi_arch_layout_is_fetched_like_the_layout_and_its_extraction_is_deleted()
    {
        var amd = _layout.AddImage("amd64");
        var arm = _layout.AddImage("arm64");
        var index = _layout.AddIndex(_layout.Attestation(amd.Manifest), amd.Manifest, arm.Manifest);
        _layout.WriteIndexJson(index.Named("v1"));
        var archive = _temp.Sub("image.tar");
        _layout.WriteArchive(archive);
        var before = ExtractionDirs();

        var fetched = await Fetch.Archive($"{archive}:v1", _store, Fetch.Arm64);
        var fromDir = await Fetch.Oci($"{_layout.Dir}:v1", new OciBlobStore(_temp.Sub("store2")), Fetch.Arm64);

        Assert.Equal($"oci-archive:{archive}@{arm.Manifest.Digest}", fetched.ResolvedReference);
        Fetch.AssertSame(fromDir with { ResolvedReference = fetched.ResolvedReference }, fetched);
        Assert.Equal(index.Digest, fetched.IndexDigest);
        Assert.True(await _store.VerifyAsync(arm.LayerDigest, CancellationToken.None));
        Assert.Equal(before, ExtractionDirs());
    }

    [Fact]
    public async Task An_entry_with_dot_dot_is_refused_and_the_extraction_is_still_deleted()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        var archive = _temp.Sub("evil.tar");
        _layout.WriteArchive(archive, w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "blobs/../../evil") { DataStream = new MemoryStream([1]) }));
        var before = ExtractionDirs();

        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Archive(archive, _store));

        Assert.Equal($"oci-archive:{archive}: refusing archive entry with '..' in its path 'blobs/../../evil'", error.Message);
        Assert.Equal(before, ExtractionDirs());
    }

    [Fact]
    public async Task An_absolute_entry_is_refused()
    {
        var archive = _temp.Sub("abs.tar");
        _layout.WriteArchive(archive, w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "/etc/evil") { DataStream = new MemoryStream([1]) }));
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Archive(archive, _store));
        Assert.Equal($"oci-archive:{archive}: refusing archive entry with an absolute path '/etc/evil'", error.Message);
    }

    [Fact]
    public async Task A_linked_index_json_is_refused()
    {
        var image = _layout.AddImage();
        _layout.WriteIndexJson(image.Manifest);
        File.Delete(Path.Combine(_layout.Dir, "index.json"));
        var archive = _temp.Sub("link.tar");
        _layout.WriteArchive(archive, w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "index.json") { LinkName = "/etc/passwd" }));
        var error = await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Archive(archive, _store));
        Assert.Equal($"oci-archive:{archive}: refusing archive entry 'index.json': it is a link outside the archive ('/etc/passwd')", error.Message);
    }

    [Fact]
    public async Task A_missing_archive_and_files_that_are_no_tar_are_named_in_one_line_each()
    {
        var missing = _temp.Sub("missing.tar");
        var junk = _temp.Sub("junk.tar");
        File.WriteAllText(junk, new string('x', 2000));
        var gzippedJunk = _temp.Sub("junk.tar.gz");
        using (var gzip = new GZipStream(File.Create(gzippedJunk), CompressionLevel.Fastest)) gzip.Write(File.ReadAllBytes(junk));
        var brokenGzip = _temp.Sub("broken.tar.gz");
        File.WriteAllBytes(brokenGzip, [0x1f, 0x8b, .. Enumerable.Repeat((byte)'x', 600)]);
        var tiny = _temp.Sub("tiny.tar");
        File.WriteAllText(tiny, "0123456789");
        var junkAfterAnEntry = _temp.Sub("junk-after.tar");
        using (var tarFile = File.Create(junkAfterAnEntry))
        {
            using (var writer = new TarWriter(tarFile, TarEntryFormat.Ustar, leaveOpen: true))
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "oci-layout") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            tarFile.SetLength(1024); // keep the entry and its data block, drop the end-of-archive marker
            tarFile.Position = 1024;
            tarFile.Write(Enumerable.Repeat((byte)'x', 1024).ToArray());
        }

        var errors = new Dictionary<string, string>();
        foreach (var archive in new[] { missing, junk, gzippedJunk, brokenGzip, tiny, junkAfterAnEntry })
            errors[archive] = (await Assert.ThrowsAsync<ImageSourceException>(() => Fetch.Archive(archive, _store))).Message;

        Assert.Equal($"oci-archive:{missing}: no such file", errors[missing]);
        Assert.Equal($"oci-archive:{junk}: not a valid tar archive: the first 512 bytes are not a tar header (its checksum field is not an octal number)", errors[junk]);
        Assert.Equal($"oci-archive:{gzippedJunk}: not a valid tar archive (gunzipped): the first 512 bytes are not a tar header (its checksum field is not an octal number)", errors[gzippedJunk]);
        Assert.StartsWith($"oci-archive:{brokenGzip}: not valid gzip: ", errors[brokenGzip]);
        Assert.Equal($"oci-archive:{tiny}: not a valid tar archive: it is 10 bytes, shorter than one 512-byte tar header", errors[tiny]);
        Assert.StartsWith($"oci-archive:{junkAfterAnEntry}: not a valid tar archive: ", errors[junkAfterAnEntry]);
        Assert.EndsWith(" (in or after entry 'oci-layout')", errors[junkAfterAnEntry]);
        Assert.All(errors.Values, e => Assert.DoesNotContain('\n', e));
        Assert.Empty(_store.EnumerateBlobs());
    }
}
