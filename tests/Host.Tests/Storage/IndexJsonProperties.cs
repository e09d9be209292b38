using CsCheck;
using Xunit;
using ImageCache.Core;
using ImageCache.Core.Tests;
using ImageCache.Host.Storage;

namespace ImageCache.Host.Tests.Storage;

public sealed class IndexJsonProperties
{
    /// <summary>Reading fills in <c>canonical_ref</c> (records of the original lack it); everything else comes back as written.</summary>
    [Fact]
    public void An_index_survives_a_JSON_round_trip_with_every_field_and_unknown_fields()
    {
        Gens.RichIndex.Sample(index =>
        {
            var again = IndexJson.Deserialize(IndexJson.Serialize(index));
            var expected = new ImageIndex(index.Images.Map(r => r with { CanonicalRef = r.EffectiveCanonicalRef }).Strict());
            Assert.Equal(expected, again);
        }, iter: 300);
    }

    [Fact]
    public void Serialising_is_stable_once_read_back()
    {
        Gens.RichIndex.Sample(index =>
        {
            var first = IndexJson.Serialize(IndexJson.Deserialize(IndexJson.Serialize(index)));
            var second = IndexJson.Serialize(IndexJson.Deserialize(first));
            Assert.Equal(first, second);
        }, iter: 300);
    }

    /// <summary>
    /// Unchanged records are copied from the file as bytes (a tag on 10,000 records must not re-encode them all);
    /// the result must be exactly what encoding everything would give, whatever records were added or dropped.
    /// </summary>
    [Fact]
    public void Copying_unchanged_records_as_bytes_gives_the_same_file_as_encoding_them()
    {
        Gen.Select(Gens.RichIndex, Gens.RichIndex, Gen.Int[0, 100]).Sample((index, extra, seed) =>
        {
            var bytes = IndexJson.Serialize(IndexJson.Deserialize(IndexJson.Serialize(index)));
            var read = IndexJson.Deserialize(bytes, out var raw);
            if (!read.Images.IsEmpty) Assert.NotNull(raw);
            // Keep some records, drop others, add new ones, in a shuffled order.
            var kept = read.Images.Filter((record) => (record.ImageRef.Length + seed) % 3 != 0);
            var next = new ImageIndex(kept.Concat(extra.Images).OrderBy(r => (r.Digest.GetHashCode() ^ seed)).ToSeq().Strict());
            using var copied = new MemoryStream();
            IndexJson.Serialize(next, copied, raw);
            Assert.Equal(IndexJson.Serialize(next), copied.ToArray());
        }, iter: 200);
    }

    [Fact]
    public void A_file_in_another_form_is_encoded_whole_rather_than_copied()
    {
        var index = Gens.RichIndex.Where(i => !i.Images.IsEmpty).Single();
        var compact = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.Nodes.JsonNode.Parse(IndexJson.Serialize(index))!.ToJsonString());
        var read = IndexJson.Deserialize(compact, out var raw);
        Assert.False(raw is not null && raw.TryGetRange(read.Images.Head, out _, out _)); // the copy is refused: its form is not ours
    }

    /// <summary>
    /// Go's encoder escapes &lt;, &gt; and &amp; (<c>\u003c</c>); an escaped value must still land in its field, and an
    /// escaped field name must still be known. (A first cut of the streaming reader looked at the value's escaping
    /// and turned such fields into unknown extensions.)
    /// </summary>
    [Fact]
    public void Escaped_values_and_escaped_names_are_read_into_their_fields()
    {
        var json = """
            {"images":[{"image_ref":"docker.io/library/busybox:latest","output_path":"/state/images/rootfs/a\u0026b.ext4",
              "\u0064igest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
              "setuid_policy":"stripped","image_env":["A=\u003cx\u003e"],"platform":{"os":"linux","architecture":"amd64"}}]}
            """;
        var record = IndexJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(json)).Images.Head;
        Assert.Equal("/state/images/rootfs/a&b.ext4", record.OutputPath);
        Assert.Equal("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", record.Digest);
        Assert.Equal("A=<x>", record.ImageEnv.Head);
        Assert.True(record.Extensions.IsEmpty, string.Join(", ", record.Extensions.Keys));
    }

    [Fact]
    public void The_serialised_index_never_writes_null_arrays()
    {
        var text = System.Text.Encoding.UTF8.GetString(IndexJson.Serialize(ImageIndex.Empty));
        Assert.Contains("\"images\": []", text);
        Assert.DoesNotContain("null", text);
    }
}
