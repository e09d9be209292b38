using CsCheck;
using ImageCache.Core;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests;

public class DigestTests
{
    const string Hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("sha256:" + Hex64, "sha256", Hex64)]
    [InlineData("sha512:" + Hex64 + Hex64, "sha512", Hex64 + Hex64)]
    [InlineData("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", "multihash+base58", "QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")]
    [InlineData("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "sha256+b64u", "LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564")]
    [InlineData("x.y_z-1:=", "x.y_z-1", "=")]
    public void Parse_accepts_the_digest_grammar(string input, string algorithm, string encoded)
    {
        var digest = Succ(Digest.Parse(input));
        Assert.Equal(new Digest(algorithm, encoded), digest);
        Assert.Equal(input, digest.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256")]
    [InlineData(":" + Hex64)]
    [InlineData("sha256:")]
    [InlineData("SHA256:" + Hex64)]
    [InlineData("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde")]
    [InlineData("sha256:" + Hex64 + "0")]
    [InlineData("sha256:g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha512:" + Hex64)]
    [InlineData("a..b:x")]
    [InlineData("-a:x")]
    [InlineData("a-:x")]
    [InlineData("a:b:c")]
    [InlineData("a:b c")]
    [InlineData("sha256: " + Hex64)]
    public void Parse_refuses_bad_digests_and_the_message_quotes_the_input(string input)
    {
        var error = Fail(Digest.Parse(input));
        Assert.Equal(ErrorCodes.InvalidDigest, error.Code);
        Assert.Contains($"\"{CoreErrors.Printable(input)}\"", error.Message);
    }

    [Fact]
    public void Short_is_the_first_12_characters_of_the_encoded_part()
    {
        Assert.Equal("0123456789ab", Succ(Digest.Parse("sha256:" + Hex64)).Short);
        Assert.Equal("abc", new Digest("x", "abc").Short);
    }

    [Fact]
    public void Sha256Of_matches_the_known_vector_for_empty_input()
    {
        var digest = Digest.Sha256Of(ReadOnlySpan<byte>.Empty);
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest.ToString());
        Assert.Equal(digest, Succ(Digest.Parse(digest.ToString())));
    }

    [Theory]
    [InlineData("0123abcdef", true)]
    [InlineData("", false)]
    [InlineData("0123ABCDEF", false)]
    [InlineData("xyz", false)]
    public void IsLowerHex_accepts_only_lowercase_hex(string text, bool expected) => Assert.Equal(expected, Digest.IsLowerHex(text));

    [Fact]
    public void Printing_then_parsing_gives_back_the_same_digest() =>
        Gens.Digest.Sample(d => Assert.Equal(d, Succ(Digest.Parse(d.ToString()))));
}
