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

    [Fact]
    public void The_serialised_index_never_writes_null_arrays()
    {
        var text = System.Text.Encoding.UTF8.GetString(IndexJson.Serialize(ImageIndex.Empty));
        Assert.Contains("\"images\": []", text);
        Assert.DoesNotContain("null", text);
    }
}
