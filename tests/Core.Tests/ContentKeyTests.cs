using CsCheck;
using ImageCache.Core;
using LanguageExt;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

public class ContentKeyTests
{
    const string DigestA = Support.DigestA;
    static readonly Platform Amd64 = Support.Amd64;

    static string Key(string digest = DigestA, Platform? platform = null, string builder = "ext4", BuildOptions? options = null) =>
        ContentKey.Compute(digest, platform ?? Amd64, builder, options ?? BuildOptions.Default);

    [Fact]
    public void The_same_inputs_give_the_same_key()
    {
        Assert.Equal(Key(), Key());
        Assert.Equal(Key(options: BuildOptions.Default with { SizeMiB = Some(512L) }), Key(options: BuildOptions.Default with { SizeMiB = Some(512L) }));
    }

    [Fact]
    public void The_key_is_64_lowercase_hex_digits()
    {
        var key = Key();
        Assert.Equal(64, key.Length);
        Assert.True(Digest.IsLowerHex(key));
    }

    [Fact]
    public void Changing_the_digest_changes_the_key() => Assert.NotEqual(Key(), Key(digest: Support.DigestB));

    [Fact]
    public void Changing_the_platform_changes_the_key()
    {
        Assert.NotEqual(Key(), Key(platform: Support.Arm64));
        Assert.NotEqual(Key(platform: new Platform("linux", "arm64")), Key(platform: new Platform("linux", "arm64", "v8")));
    }

    [Fact]
    public void Changing_the_builder_changes_the_key() => Assert.NotEqual(Key(), Key(builder: "mke2fs"));

    [Fact]
    public void Changing_any_build_option_changes_the_key()
    {
        var withInit = BuildOptions.Default with { InitSha256 = new string('1', 64) };
        var keys = new[]
        {
            Key(),
            Key(options: BuildOptions.Default with { SizeMiB = Some(512L) }),
            Key(options: BuildOptions.Default with { SizeMiB = Some(1024L) }),
            Key(options: withInit),
            Key(options: withInit with { InitSha256 = new string('2', 64) }),
            Key(options: withInit with { InitPath = "/init" }),
            Key(options: BuildOptions.Default with { AllowSetuid = true }),
            Key(options: BuildOptions.Default with { Journal = false }),
        };
        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_init_path_does_not_matter_without_an_init() =>
        Assert.Equal(Key(), Key(options: BuildOptions.Default with { InitPath = "/elsewhere" }));

    [Fact]
    public void FileName_is_key_dot_extension()
    {
        var key = Key();
        Assert.Equal(key + ".ext4", ContentKey.FileName(key, "ext4"));
        Assert.Equal(key + ".sqfs", ContentKey.FileName(key, "sqfs"));
    }

    sealed record Inputs(string Digest, Platform Platform, string Builder, BuildOptions Options)
    {
        /// <summary>What the key depends on: the init path only counts when there is an init.</summary>
        public object Relevant => (Digest, Platform, Builder, Options.SizeMiB, Options.InitSha256,
            Options.InitSha256.Length > 0 ? Options.InitPath : "", Options.AllowSetuid, Options.Journal);
    }

    static readonly Gen<Inputs> SmallInputs =
        from digest in Gen.OneOf(Gens.DigestPool)
        from platform in Gen.OneOf(Gens.PlatformPool)
        from builder in Gen.OneOf("ext4", "mke2fs", "squashfs")
        from size in Gen.OneOf(Option<long>.None, Some(256L), Some(512L))
        from init in Gen.OneOf("", new string('1', 64))
        from initPath in Gen.OneOf("/sbin/imagecache-init", "/init")
        from setuid in Gen.Bool
        from journal in Gen.Bool
        select new Inputs(digest, platform, builder, new BuildOptions(size, init, initPath, setuid, journal));

    [Fact]
    public void Two_inputs_share_a_key_exactly_when_they_agree_on_everything_that_matters() =>
        Gen.Select(SmallInputs, SmallInputs).Sample((a, b) =>
        {
            var keyA = ContentKey.Compute(a.Digest, a.Platform, a.Builder, a.Options);
            var keyB = ContentKey.Compute(b.Digest, b.Platform, b.Builder, b.Options);
            Assert.Equal(a.Relevant.Equals(b.Relevant), keyA == keyB);
        }, iter: 1000);
}
