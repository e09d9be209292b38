using System.Text;
using CsCheck;
using ImageCache.Core;
using ImageCache.Core.Tests;
using ImageCache.Host.Storage;
using LanguageExt;
using Xunit;

namespace ImageCache.Host.Tests.Storage;

/// <summary>
/// The store's own file (checksummed) is read by lines with deferred records (<see cref="IndexScanner"/>); it must
/// give exactly what the full JSON reader gives, and any change to the file must send it back to the full reader.
/// </summary>
public sealed class IndexScannerProperties
{
    /// <summary>The bytes <see cref="IndexStore"/> writes for <paramref name="index"/>.</summary>
    static byte[] StoreFile(ImageIndex index, RawIndex? raw = null)
    {
        using var text = new MemoryStream();
        IndexStore.WriteContent(index, raw, text);
        return text.ToArray();
    }

    static ImageIndex Scan(byte[] file, out RawIndex? raw)
    {
        Assert.True(IndexChecksum.Holds(file, out var bodyLength));
        Assert.True(IndexScanner.TryScan(file, bodyLength, out var index, out raw), Encoding.UTF8.GetString(file));
        return index;
    }

    [Fact]
    public void Scanning_the_store_file_gives_what_the_full_reader_gives()
    {
        Gens.RichIndex.Sample(index =>
        {
            var file = StoreFile(index);
            var scanned = Scan(file, out _);
            Assert.Equal(IndexJson.Deserialize(file), scanned);
        }, iter: 300);
    }

    [Fact]
    public void Repeated_key_texts_are_read_into_one_string()
    {
        var digest = "sha256:" + new string('a', 64);
        ImageRecord Tag(string name) => new()
        {
            ImageRef = name, CanonicalRef = name, ResolvedRef = "registry.example/app@" + digest, Digest = digest,
            Platform = new Platform("linux", "amd64", ""), OutputPath = "/state/images/rootfs/a.ext4",
        };
        var file = StoreFile(new ImageIndex(Prelude.Seq(Tag("registry.example/app:1"), Tag("registry.example/app:2"))));
        var scanned = Scan(file, out _).Images;
        Assert.Same(scanned[0].ImageRef, scanned[0].CanonicalRef);
        Assert.Same(scanned[0].OutputPath, scanned[1].OutputPath);
        Assert.Same(scanned[0].Digest, scanned[1].Digest);
        Assert.Same(scanned[0].ResolvedRef, scanned[1].ResolvedRef);
        Assert.NotSame(scanned[0].ImageRef, scanned[1].ImageRef);
        Assert.Equal(["registry.example/app:1", "registry.example/app:2"], new[] { scanned[0].ImageRef, scanned[1].ImageRef });
    }

    [Fact]
    public void The_store_file_is_the_plain_serialisation_with_a_checksum_member_before_the_end()
    {
        Gens.RichIndex.Sample(index =>
        {
            var plain = Encoding.UTF8.GetString(IndexJson.Serialize(index));
            var stored = Encoding.UTF8.GetString(StoreFile(index));
            var at = stored.LastIndexOf(",\n  \"checksum\": \"crc32c:", StringComparison.Ordinal);
            Assert.True(at > 0, stored);
            Assert.Equal(plain[..plain.LastIndexOf("\n}\n", StringComparison.Ordinal)], stored[..at]);
            Assert.Matches("^,\n  \"checksum\": \"crc32c:[0-9a-f]{8}\"\n}\n$", stored[at..]);
        }, iter: 100);
    }

    /// <summary>The writer copies unchanged scanned records as bytes: the file must equal encoding everything.</summary>
    [Fact]
    public void Writing_a_changed_scanned_index_gives_the_file_encoding_everything_gives()
    {
        Gen.Select(Gens.RichIndex, Gens.RichIndex, Gen.Int[0, 100]).Sample((index, extra, seed) =>
        {
            var scanned = Scan(StoreFile(index), out var raw);
            var kept = scanned.Images.Filter(record => (record.ImageRef.Length + seed) % 3 != 0);
            var retagged = scanned.Images.Take(1).Map(r => r with { ImageRef = "local/retagged:v1", CanonicalRef = "docker.io/local/retagged:v1" });
            var next = new ImageIndex(kept.Concat(retagged).Concat(extra.Images).OrderBy(r => r.Digest.GetHashCode() ^ seed).ToSeq().Strict());
            Assert.Equal(StoreFile(next), StoreFile(next, raw));
        }, iter: 200);
    }

    /// <summary>Records kept in their order are written in runs (several records per write): still the same file.</summary>
    [Fact]
    public void Writing_records_kept_in_order_with_some_dropped_and_one_inserted_gives_the_same_file()
    {
        Gen.Select(Gens.RichIndex, Gens.RichRecord, Gen.Int[0, 100]).Sample((index, added, seed) =>
        {
            var scanned = Scan(StoreFile(index), out var raw);
            var kept = scanned.Images.Filter(record => (record.Digest.Length + record.ImageRef.Length + seed) % 4 != 0).ToList();
            kept.Insert(seed % (kept.Count + 1), added);
            var next = new ImageIndex(kept.ToSeq().Strict());
            Assert.Equal(StoreFile(next), StoreFile(next, raw));
        }, iter: 300);
    }

    [Fact]
    public void Any_changed_byte_fails_the_checksum()
    {
        Gen.Select(Gens.RichIndex, Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]).Sample((index, at, flip) =>
        {
            var file = StoreFile(index);
            file[at % file.Length] ^= flip;
            Assert.False(IndexChecksum.Holds(file, out _));
        }, iter: 300);
    }

    [Fact]
    public void The_checksum_of_a_body_written_in_pieces_is_the_checksum_of_the_whole()
    {
        Gen.Byte.Array[0, 300].Select(Gen.Int[0, 300].Array[0, 8]).Sample((bytes, cuts) =>
        {
            using var sink = new MemoryStream();
            var stream = new ChecksummingStream(sink);
            var at = 0;
            foreach (var cut in cuts.Select(c => Math.Min(c, bytes.Length)).Order())
            {
                stream.Write(bytes.AsSpan(at, cut - at));
                at = cut;
            }
            stream.Write(bytes.AsSpan(at));
            Assert.Equal(bytes, sink.ToArray());
            Assert.Equal(IndexChecksum.Crc32C(bytes), stream.Crc32C);
        }, iter: 300);
    }

    [Fact]
    public void The_checksum_is_the_standard_crc32c()
    {
        Assert.Equal(0xE3069283u, IndexChecksum.Crc32C("123456789"u8));
        Assert.Equal(0u, IndexChecksum.Crc32C([]));
    }

    [Fact]
    public void The_store_reads_its_own_file_for_an_update_as_its_full_read_does()
    {
        var state = Directory.CreateTempSubdirectory("imagecache-scan-").FullName;
        try
        {
            Gens.RichIndex.Sample(index =>
            {
                // One state directory per sample: CsCheck runs samples on several threads.
                var store = new IndexStore(new StateLayout(Path.Combine(state, Guid.NewGuid().ToString("N"))));
                store.Write(index);
                store.Write(store.Read()); // a read fills in canonical_ref where the record had none; from here on it is stable
                var forUpdate = store.ReadForUpdate();
                Assert.Equal(store.Read(), forUpdate);
                // Written back unchanged in content but as new objects, and as the very records read: the same file.
                var before = File.ReadAllBytes(store.Layout.IndexFile);
                store.Write(new ImageIndex(forUpdate.Images.Map(r => r with { }).Strict()));
                Assert.Equal(before, File.ReadAllBytes(store.Layout.IndexFile));
            }, iter: 100);
        }
        finally { Directory.Delete(state, recursive: true); }
    }

    [Fact]
    public void A_file_edited_by_hand_is_read_by_the_full_reader_with_the_edit_and_a_broken_edit_is_a_clear_error()
    {
        var state = Directory.CreateTempSubdirectory("imagecache-scan-").FullName;
        try
        {
            var store = new IndexStore(new StateLayout(state));
            var record = new ImageRecord
            {
                ImageRef = "docker.io/library/busybox:latest", CanonicalRef = "docker.io/library/busybox:latest",
                Digest = "sha256:" + new string('a', 64), Platform = new Platform("linux", "amd64"),
                OutputPath = Path.Combine(state, "images", "rootfs", "a.ext4"), SizeBytes = 1111,
            };
            store.Write(new ImageIndex(Seq.create(record)));
            var text = File.ReadAllText(store.Layout.IndexFile);
            Assert.Contains("\"checksum\"", text);

            // Same length, still valid JSON, checksum now stale: the full reader sees the new size, also for an update.
            File.WriteAllText(store.Layout.IndexFile, text.Replace("\"size_bytes\": 1111", "\"size_bytes\": 2222"));
            Assert.Equal(2222, store.Read().Images.Head.SizeBytes);
            Assert.Equal(2222, store.ReadForUpdate().Images.Head.SizeBytes);

            File.WriteAllText(store.Layout.IndexFile, text.Replace("\"size_bytes\": 1111", "\"size_bytes\": 11x1"));
            Assert.Equal(HostErrorCodes.IndexCorrupt, Assert.Throws<ImageCacheException>(() => store.ReadForUpdate()).Code);
            var error = Assert.Throws<ImageCacheException>(() => store.Read());
            Assert.Equal(HostErrorCodes.IndexCorrupt, error.Code);
            Assert.DoesNotContain('\n', error.Message);
        }
        finally { Directory.Delete(state, recursive: true); }
    }
}
