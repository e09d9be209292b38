using ImageCache.Core.Layers;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests.Layers;

public class PathRulesTests
{
    [Theory]
    [InlineData("a", "a")]
    [InlineData("./a", "a")]
    [InlineData("a/", "a")]
    [InlineData("./usr/bin/", "usr/bin")]
    [InlineData("a//b", "a/b")]
    [InlineData(".//a///b//", "a/b")]
    [InlineData("././a/./b/.", "a/b")]
    [InlineData("./", ".")]
    [InlineData(".", ".")]
    [InlineData("./.", ".")]
    [InlineData(".wh.x", ".wh.x")]
    [InlineData("...", "...")]
    [InlineData("a/..b/c..", "a/..b/c..")]
    [InlineData("systemd\\x2dfoo", "systemd\\x2dfoo")]
    [InlineData("caf\u00e9/\u65e5\u672c", "caf\u00e9/\u65e5\u672c")]
    public void Normalize_cleans_tar_names(string raw, string expected) =>
        Assert.Equal(expected, Succ(PathRules.Normalize(raw)));

    [Theory]
    [InlineData("", "empty name")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("/", "absolute")]
    [InlineData("//etc", "absolute")]
    [InlineData("../x", "'..'")]
    [InlineData("a/../../x", "'..'")]
    [InlineData("a/../b", "'..'")]
    [InlineData("./a/..", "'..'")]
    [InlineData("a\0b", "NUL")]
    public void Normalize_refuses_unsafe_names_quoting_them(string raw, string reason)
    {
        var error = Fail(PathRules.Normalize(raw));
        Assert.Equal(ErrorCodes.InvalidLayerPath, error.Code);
        Assert.Contains(reason, error.Message);
        Assert.Contains($"\"{CoreErrors.Printable(raw)}\"", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\0', error.Message);
    }

    [Fact]
    public void A_component_may_have_255_utf8_bytes_but_not_256()
    {
        Assert.Equal("d/" + new string('x', 255), Succ(PathRules.Normalize("d/" + new string('x', 255))));
        Assert.Equal(new string('\u00e9', 127), Succ(PathRules.Normalize(new string('\u00e9', 127)))); // 254 bytes
        var error = Fail(PathRules.Normalize("d/" + new string('x', 256) + "/f"));
        Assert.Contains("256 bytes long (limit 255)", error.Message);
        var multiByte = Fail(PathRules.Normalize(new string('\u00e9', 128))); // 128 chars, 256 bytes
        Assert.Contains("256 bytes", multiByte.Message);
    }

    [Fact]
    public void Compare_puts_the_root_first_and_each_directory_before_its_subtree()
    {
        var paths = new[] { "a-c", "b", "a/b/c", ".", "a", "a/b", "a.d", "a/B", "ab" };
        Array.Sort(paths, PathRules.Comparer);
        Assert.Equal(new[] { ".", "a", "a/B", "a/b", "a/b/c", "a-c", "a.d", "ab", "b" }, paths);
    }

    [Theory]
    [InlineData("a/b/c", "a/b", true)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/bc", "a/b", false)]
    [InlineData("a", "a/b", false)]
    [InlineData("x", ".", true)]
    public void IsAtOrBelow_respects_component_boundaries(string path, string ancestor, bool expected) =>
        Assert.Equal(expected, PathRules.IsAtOrBelow(path, ancestor));

    [Theory]
    [InlineData("a", ".", "a")]
    [InlineData("a/b/c", "a/b", "c")]
    public void Parent_and_BaseName_split_a_path(string path, string parent, string baseName)
    {
        Assert.Equal(parent, PathRules.Parent(path));
        Assert.Equal(baseName, PathRules.BaseName(path));
        Assert.Equal(path, PathRules.Join(parent, baseName));
    }
}
