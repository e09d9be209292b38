using ImageCache.Core;
using LanguageExt;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests;

/// <summary>DESIGN §4: how a reference finds records. One test per rule.</summary>
public class RefMatcherTests
{
    // Two manifest digests sharing their first 12 hex digits, and a third that shares nothing.
    const string Shared12 = "0123456789ab";
    const string Digest1 = "sha256:" + Shared12 + "1111111111111111111111111111111111111111111111111111";
    const string Digest2 = "sha256:" + Shared12 + "2222222222222222222222222222222222222222222222222222";

    static readonly ImageRecord Busybox = Baseline("busybox", StoreDir + "/a.ext4", DigestA, indexDigest: IndexDigestE);

    [Fact]
    public void A_reference_matches_the_image_ref_as_typed()
    {
        Assert.True(RefMatcher.MatchesRef(Busybox, "busybox"));
        Assert.True(RefMatcher.MatchesRef(Busybox, "  busybox "));
        var invalid = Busybox with { ImageRef = "Not A Ref", CanonicalRef = "" };
        Assert.True(RefMatcher.MatchesRef(invalid, "Not A Ref"));
    }

    [Fact]
    public void A_short_name_matches_a_record_typed_in_canonical_form()
    {
        var record = Baseline("docker.io/library/busybox:latest", StoreDir + "/a.ext4");
        Assert.True(RefMatcher.MatchesRef(record, "busybox"));
        Assert.True(RefMatcher.MatchesRef(record, "library/busybox:latest"));
        Assert.True(RefMatcher.MatchesRef(record, "index.docker.io/busybox"));
    }

    [Fact]
    public void A_canonical_name_matches_a_record_typed_in_short_form()
    {
        Assert.True(RefMatcher.MatchesRef(Busybox, "docker.io/library/busybox:latest"));
        Assert.True(RefMatcher.MatchesRef(Busybox, "docker.io/library/busybox"));
    }

    [Fact]
    public void A_record_of_the_original_without_canonical_ref_still_matches_by_canonical_form()
    {
        var legacy = Busybox with { CanonicalRef = "" };
        Assert.True(RefMatcher.MatchesRef(legacy, "docker.io/library/busybox:latest"));
    }

    [Fact]
    public void Another_tag_or_another_case_does_not_match()
    {
        Assert.False(RefMatcher.MatchesRef(Busybox, "busybox:1.36"));
        Assert.False(RefMatcher.MatchesRef(Busybox, "BusyBox"));
        Assert.False(RefMatcher.MatchesRef(Busybox, "alpine"));
        Assert.False(RefMatcher.MatchesRef(Busybox, ""));
        Assert.False(RefMatcher.MatchesRef(Busybox, "   "));
    }

    [Fact]
    public void A_reference_matches_the_resolved_ref()
    {
        Assert.Equal("docker.io/library/busybox@" + DigestA, Busybox.ResolvedRef);
        Assert.True(RefMatcher.MatchesRef(Busybox, Busybox.ResolvedRef));
    }

    [Fact]
    public void A_reference_matches_the_manifest_digest()
    {
        Assert.True(RefMatcher.MatchesRef(Busybox, DigestA));
        Assert.False(RefMatcher.MatchesRef(Busybox, DigestB));
    }

    [Fact]
    public void A_reference_matches_the_index_digest()
    {
        Assert.True(RefMatcher.MatchesRef(Busybox, IndexDigestE));
        Assert.False(RefMatcher.MatchesRef(Busybox with { IndexDigest = "" }, IndexDigestE));
    }

    [Fact]
    public void Repository_at_index_digest_matches_records_of_that_repository_only()
    {
        Assert.True(RefMatcher.MatchesRef(Busybox, "busybox@" + IndexDigestE));
        Assert.True(RefMatcher.MatchesRef(Busybox, "docker.io/library/busybox@" + IndexDigestE));
        Assert.True(RefMatcher.MatchesRef(Busybox, "busybox:latest@" + IndexDigestE));
        Assert.False(RefMatcher.MatchesRef(Busybox, "alpine@" + IndexDigestE));
        Assert.False(RefMatcher.MatchesRef(Busybox, "busybox@" + DigestB));
    }

    [Fact]
    public void Repository_at_manifest_digest_matches_too()
    {
        Assert.True(RefMatcher.MatchesRef(Busybox, "busybox@" + DigestA));
        Assert.False(RefMatcher.MatchesRef(Busybox, "ghcr.io/other/busybox@" + DigestA));
    }

    [Fact]
    public void MatchesRef_ignores_digest_prefixes()
    {
        Assert.False(RefMatcher.MatchesRef(Busybox, "aaaaaaaaaaaa"));
        Assert.False(RefMatcher.MatchesRef(Busybox, "sha256:aaaaaaaaaaaa"));
    }

    [Fact]
    public void Find_accepts_a_12_hex_digest_prefix_without_sha256()
    {
        var index = IndexOf(Busybox, Baseline("alpine", StoreDir + "/b.ext4", DigestB));
        Assert.Equal(new[] { Busybox }, Succ(RefMatcher.Find(index, "aaaaaaaaaaaa")).ToArray());
    }

    [Fact]
    public void Find_accepts_a_12_hex_digest_prefix_with_sha256()
    {
        var index = IndexOf(Busybox, Baseline("alpine", StoreDir + "/b.ext4", DigestB));
        Assert.Equal(new[] { Busybox }, Succ(RefMatcher.Find(index, "sha256:aaaaaaaaaaaa")).ToArray());
    }

    [Fact]
    public void Find_accepts_a_prefix_of_the_index_digest()
    {
        var index = IndexOf(Busybox, Baseline("alpine", StoreDir + "/b.ext4", DigestB));
        Assert.Equal(new[] { Busybox }, Succ(RefMatcher.Find(index, "eeeeeeeeeeeeeee")).ToArray());
    }

    [Fact]
    public void Find_accepts_a_whole_digest_without_sha256()
    {
        // DESIGN §4: a unique digest prefix of at least 12 hex digits, with or without sha256:. The whole
        // encoded part is such a prefix (what `docker rmi <64 hex>` accepts).
        var index = IndexOf(Busybox, Baseline("alpine", StoreDir + "/b.ext4", DigestB));
        Assert.Equal(new[] { Busybox }, Succ(RefMatcher.Find(index, DigestA[7..])).ToArray());
    }

    [Theory]
    [InlineData("aaaaaaaaaaa")]
    [InlineData("sha256:aaaaaaaaaaa")]
    [InlineData("aaaa")]
    [InlineData("aaaaaaaaaaaaax")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Find_refuses_prefixes_shorter_than_12_longer_than_64_or_not_hex(string reference)
    {
        var index = IndexOf(Busybox);
        var error = Fail(RefMatcher.Find(index, reference));
        Assert.Equal(ErrorCodes.ImageNotFound, error.Code);
        Assert.Equal($"image \"{reference}\" not found", error.Message);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAA")]
    [InlineData("Busybox")]
    [InlineData("a//b")]
    [InlineData("busybox:")]
    public void A_malformed_reference_that_matches_nothing_says_why_it_is_invalid(string reference)
    {
        var error = Fail(RefMatcher.Find(IndexOf(Busybox), reference));
        Assert.Equal(ErrorCodes.InvalidReference, error.Code);
        Assert.Contains($"\"{reference}\"", error.Message);
    }

    [Fact]
    public void A_malformed_reference_still_finds_a_record_typed_that_way()
    {
        var odd = Busybox with { ImageRef = "Not A Ref", CanonicalRef = "" };
        Assert.Equal(new[] { odd }, Succ(RefMatcher.Find(IndexOf(odd), "Not A Ref")).ToArray());
    }

    [Fact]
    public void An_ambiguous_prefix_is_an_error_listing_the_candidates()
    {
        var one = Baseline("busybox", StoreDir + "/a.ext4", Digest1);
        var two = Baseline("alpine", StoreDir + "/b.ext4", Digest2);
        var index = IndexOf(one, two);
        var error = Fail(RefMatcher.Find(index, Shared12));
        Assert.Equal(ErrorCodes.AmbiguousReference, error.Code);
        Assert.Contains(Shared12, error.Message);
        Assert.Contains($"busybox ({Digest1})", error.Message);
        Assert.Contains($"alpine ({Digest2})", error.Message);

        // One more digit settles it.
        Assert.Equal(new[] { two }, Succ(RefMatcher.Find(index, Shared12 + "2")).ToArray());
    }

    [Fact]
    public void A_prefix_shared_by_records_of_the_same_digest_is_not_ambiguous()
    {
        var original = Baseline("busybox", StoreDir + "/a.ext4", Digest1);
        var alias = Baseline("local/busybox:tagged", StoreDir + "/a.ext4", Digest1);
        var other = Baseline("alpine", StoreDir + "/b.ext4", DigestB);
        var index = IndexOf(original, alias, other);
        var found = Succ(RefMatcher.Find(index, Shared12));
        Assert.Equal(Sorted(new[] { original, alias }), Sorted(found));
    }

    [Fact]
    public void Names_and_full_digests_win_over_digest_prefixes()
    {
        // A record literally named like a hex prefix is found by name, even though the prefix would match another's digest.
        var hexNamed = Baseline("aaaaaaaaaaaa", StoreDir + "/b.ext4", DigestB);
        var index = IndexOf(Busybox, hexNamed);
        Assert.Equal(new[] { hexNamed }, Succ(RefMatcher.Find(index, "aaaaaaaaaaaa")).ToArray());
    }

    [Fact]
    public void Find_returns_every_record_a_name_matches_in_index_order()
    {
        var amd = Baseline("busybox", StoreDir + "/a.ext4", DigestA, Amd64, indexDigest: IndexDigestE);
        var arm = Baseline("busybox", StoreDir + "/b.ext4", DigestB, Arm64, indexDigest: IndexDigestE);
        var index = IndexOf(arm, amd, Baseline("alpine", StoreDir + "/c.ext4", DigestC));
        Assert.Equal(new[] { amd, arm }, Succ(RefMatcher.Find(index, "docker.io/library/busybox:latest")).ToArray());
        Assert.Equal(new[] { amd, arm }, Succ(RefMatcher.Find(index, IndexDigestE)).ToArray());
    }

    [Theory]
    [InlineData("x")]
    [InlineData("nothing/here:1")]
    [InlineData("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    [InlineData("ffffffffffff")]
    public void No_match_is_image_not_found_quoting_the_reference(string reference)
    {
        var error = Fail(RefMatcher.Find(IndexOf(Busybox), reference));
        Assert.Equal(ErrorCodes.ImageNotFound, error.Code);
        Assert.Equal($"image \"{reference}\" not found", error.Message);
    }

    [Fact]
    public void An_empty_reference_is_a_missing_argument()
    {
        var error = Fail(RefMatcher.Find(IndexOf(Busybox), "  "));
        Assert.Equal(ErrorCodes.MissingArgument, error.Code);
        Assert.Equal("image reference is required", error.Message);
    }

    [Fact]
    public void Index_Find_filters_by_platform_and_skips_records_without_a_path()
    {
        var amd = Baseline("busybox", StoreDir + "/a.ext4", DigestA, Amd64);
        var arm = Baseline("busybox", StoreDir + "/b.ext4", DigestB, new Platform("linux", "arm64", "v8"));
        var noPath = Baseline("alpine", "", DigestC);
        var index = IndexOf(amd, arm, noPath);

        Assert.Equal(new[] { amd, arm }, Succ(Index.Find(index, "busybox", Platform.Any)).ToArray());
        Assert.Equal(new[] { arm }, Succ(Index.Find(index, "busybox", new Platform("linux", "arm64"))).ToArray());
        Assert.Equal(new[] { arm }, Succ(Index.Find(index, "busybox", new Platform("", "arm64", "v8"))).ToArray());
        Assert.Equal(ErrorCodes.ImageNotFound, Fail(Index.Find(index, "busybox", new Platform("linux", "arm64", "v7"))).Code);
        var error = Fail(Index.Find(index, " alpine ", Platform.Any));
        Assert.Equal("image \"alpine\" not found", error.Message);
    }
}
