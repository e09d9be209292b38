using ImageCache.Contracts;
using ImageCache.Fetchers.Oci;
using Xunit;

namespace ImageCache.Plugins.Tests.Oci;

public sealed class SourceLocationTests
{
    static readonly string Digest = "sha256:" + new string('a', 64);

    static SourceLocation Parse(string location, params string[] existing) =>
        SourceLocation.Parse(location, existing.Contains, "oci");

    [Fact]
    public void The_last_colon_splits_off_a_valid_ref_when_the_directory_exists() =>
        Assert.Equal(new SourceLocation("/a:b/layout", "v1.0", null), Parse("/a:b/layout:v1.0", "/a:b/layout"));

    [Fact]
    public void Without_an_existing_prefix_the_whole_location_is_the_path() =>
        Assert.Equal(new SourceLocation("/x/layout:v1", null, null), Parse("/x/layout:v1"));

    [Fact]
    public void An_invalid_ref_name_is_not_split_off() =>
        Assert.Equal(new SourceLocation("/x/l:-bad", null, null), Parse("/x/l:-bad", "/x/l"));

    [Fact]
    public void A_digest_is_accepted_after_at_or_colon()
    {
        Assert.Equal(new SourceLocation("/x/l", null, Digest), Parse($"/x/l@{Digest}", "/x/l"));
        Assert.Equal(new SourceLocation("/x/l", null, Digest), Parse($"/x/l:{Digest}", "/x/l"));
    }

    [Fact]
    public void An_empty_location_is_refused() =>
        Assert.Equal("oci: no path given (expected oci:PATH[:REF])", Assert.Throws<ImageSourceException>(() => Parse("")).Message);

    [Theory]
    [InlineData("latest", true)]
    [InlineData("v1.0-rc.1", true)]
    [InlineData("example.com/repo/name:tag", true)]
    [InlineData("a--b", true)]
    [InlineData("a---b", false)]
    [InlineData("-a", false)]
    [InlineData("a/", false)]
    [InlineData("", false)]
    public void Ref_names_follow_the_image_layout_grammar(string name, bool valid) =>
        Assert.Equal(valid, SourceLocation.IsRefName(name));
}
