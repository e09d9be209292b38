using CsCheck;
using ImageCache.Core;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests;

public class ImageRefTests
{
    const string C64 = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("index.docker.io/library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("registry-1.docker.io/busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("  busybox  ", "docker.io/library/busybox:latest")]
    [InlineData("a/b", "docker.io/a/b:latest")]
    [InlineData("a/b/c:Tag_1.x-y", "docker.io/a/b/c:Tag_1.x-y")]
    [InlineData("localhost/foo", "localhost/foo:latest")]
    [InlineData("localhost:5000/foo/bar:1", "localhost:5000/foo/bar:1")]
    [InlineData("ghcr.io/a/b:v1", "ghcr.io/a/b:v1")]
    [InlineData("GHCR.IO/a/b:V1", "ghcr.io/a/b:V1")]
    [InlineData("Registry.Example.com:443/x", "registry.example.com:443/x:latest")]
    [InlineData("foo.bar/baz", "foo.bar/baz:latest")]
    [InlineData("[::1]:5000/foo", "[::1]:5000/foo:latest")]
    [InlineData("a_b/c__d/e--f.g", "docker.io/a_b/c__d/e--f.g:latest")]
    [InlineData("localhost:5000", "docker.io/library/localhost:5000")]
    [InlineData("busybox@sha256:" + C64, "docker.io/library/busybox@sha256:" + C64)]
    [InlineData("busybox:1.36@sha256:" + C64, "docker.io/library/busybox:1.36@sha256:" + C64)]
    [InlineData("ghcr.io/a/b@sha256:" + C64, "ghcr.io/a/b@sha256:" + C64)]
    public void Parse_normalises_to_the_canonical_form(string input, string canonical)
    {
        var parsed = Succ(ImageRef.Parse(input));
        Assert.Equal(canonical, parsed.ToString());
        Assert.Equal(canonical, ImageRef.CanonicalOf(input).IfNone("(none)"));
    }

    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", "")]
    [InlineData("localhost:5000/foo/bar:1", "localhost:5000", "foo/bar", "1", "")]
    [InlineData("busybox@sha256:" + C64, "docker.io", "library/busybox", "", "sha256:" + C64)]
    [InlineData("busybox:1.36@sha256:" + C64, "docker.io", "library/busybox", "1.36", "sha256:" + C64)]
    public void Parse_splits_registry_repository_tag_and_digest(string input, string registry, string repository, string tag, string digest)
    {
        var parsed = Succ(ImageRef.Parse(input));
        Assert.Equal(registry, parsed.Registry);
        Assert.Equal(repository, parsed.Repository);
        Assert.Equal(tag, parsed.Tag);
        Assert.Equal(digest, parsed.Digest.Match(d => d.ToString(), () => ""));
        Assert.Equal(registry + "/" + repository, parsed.Name);
    }

    [Fact]
    public void A_digest_pinned_reference_has_no_tag_and_PinnedTo_drops_the_tag()
    {
        var pinned = Succ(ImageRef.Parse("busybox@sha256:" + C64));
        Assert.Equal("", pinned.Tag);
        var tagged = Succ(ImageRef.Parse("busybox:1.36"));
        var digest = Succ(Digest.Parse("sha256:" + C64));
        Assert.Equal("docker.io/library/busybox@sha256:" + C64, tagged.PinnedTo(digest));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Busybox")]
    [InlineData("library/BusyBox")]
    [InlineData("busybox:")]
    [InlineData("busybox:-bad")]
    [InlineData("busybox:.bad")]
    [InlineData("busybox:b@d")]
    [InlineData(":tag")]
    [InlineData("busybox/")]
    [InlineData("/busybox")]
    [InlineData("ghcr.io/")]
    [InlineData("a//b")]
    [InlineData("a/-b")]
    [InlineData("a/b_")]
    [InlineData("a/b___c")]
    [InlineData("busy box")]
    [InlineData("busy\tbox")]
    [InlineData("busy\u0000box")]
    [InlineData("busy\nbox")]
    [InlineData("foo:bar/baz")]
    [InlineData("bad_host.io:/x")]
    [InlineData("-host.io/x")]
    [InlineData("busybox@")]
    [InlineData("@sha256:" + C64)]
    [InlineData("busybox@sha256:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC")]
    [InlineData("busybox@sha256:ccc")]
    [InlineData("busybox@sha256:" + C64 + "c")]
    [InlineData("busybox@sha256")]
    [InlineData("busybox@@sha256:" + C64)]
    [InlineData("ubuntu:é")]
    public void Parse_refuses_invalid_references_and_the_message_quotes_the_input(string input)
    {
        var error = Fail(ImageRef.Parse(input));
        Assert.Equal(ErrorCodes.InvalidReference, error.Code);
        Assert.Contains($"\"{CoreErrors.Printable(input)}\"", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\0', error.Message);
        Assert.True(ImageRef.CanonicalOf(input).IsNone);
    }

    [Fact]
    public void Parse_refuses_a_name_longer_than_255_characters_but_accepts_255()
    {
        // registry (9) + '/' (1) + repository: "docker.io/" + "a/" + 243 'b' = 255.
        var longest = "docker.io/a/" + new string('b', 243);
        Assert.Equal(255, longest.Length);
        Assert.Equal(longest + ":latest", Succ(ImageRef.Parse(longest)).ToString());

        var tooLong = longest + "b";
        var error = Fail(ImageRef.Parse(tooLong));
        Assert.Equal(ErrorCodes.InvalidReference, error.Code);
        Assert.Contains(tooLong, error.Message);
        Assert.Contains("255", error.Message);
    }

    [Fact]
    public void Parse_counts_the_implied_library_prefix_towards_the_name_limit()
    {
        // "docker.io/library/" is 18 characters, so a one-component name of 238 makes 256.
        var error = Fail(ImageRef.Parse(new string('b', 238)));
        Assert.Equal(ErrorCodes.InvalidReference, error.Code);
        Assert.True(ImageRef.Parse(new string('b', 237)).IsSucc);
    }

    [Fact]
    public void Parse_accepts_a_tag_of_128_characters_and_refuses_129()
    {
        Assert.True(ImageRef.Parse("busybox:" + new string('t', 128)).IsSucc);
        var error = Fail(ImageRef.Parse("busybox:" + new string('t', 129)));
        Assert.Equal(ErrorCodes.InvalidReference, error.Code);
    }

    [Fact]
    public void Printing_then_parsing_gives_back_the_same_reference() =>
        Gens.ImageRef.Sample(r =>
        {
            var reparsed = Succ(ImageRef.Parse(r.ToString()));
            Assert.Equal(r, reparsed);
        });

    [Fact]
    public void Canonicalising_is_idempotent_over_typed_strings() =>
        Gens.ReferenceText.Sample(text =>
        {
            var once = ImageRef.CanonicalOf(text);
            once.IfSome(canonical =>
            {
                Assert.Equal(canonical, ImageRef.CanonicalOf(canonical).IfNone("(failed to reparse)"));
                Assert.Equal(Succ(ImageRef.Parse(text)), Succ(ImageRef.Parse(canonical)));
            });
        });

    [Fact]
    public void Parse_either_gives_a_printable_reference_or_an_InvalidReference_quoting_the_input() =>
        // The generator inserts junk now and then (upper case, NUL, space, non-ASCII, stray separators): whatever
        // happens, the result is a clean canonical string or an InvalidReference that quotes the input printably.
        Gens.ReferenceText.Sample(text => ImageRef.Parse(text).Match(
            r => r.ToString().Length > 0 && !r.ToString().Contains(' ') && !r.ToString().Contains('\0'),
            e => e.Code == ErrorCodes.InvalidReference && e.Message.Contains(CoreErrors.Printable(text))));
}
