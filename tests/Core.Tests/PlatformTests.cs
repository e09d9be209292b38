using CsCheck;
using ImageCache.Core;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests;

public class PlatformTests
{
    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", "")]
    [InlineData("linux/x86_64", "linux", "amd64", "")]
    [InlineData("linux/x86-64", "linux", "amd64", "")]
    [InlineData("x86_64", "linux", "amd64", "")]
    [InlineData("x64", "linux", "amd64", "")]
    [InlineData("amd64", "linux", "amd64", "")]
    [InlineData("aarch64", "linux", "arm64", "")]
    [InlineData("linux/aarch64", "linux", "arm64", "")]
    [InlineData("linux/arm64/v8", "linux", "arm64", "v8")]
    [InlineData("linux/arm/v7", "linux", "arm", "v7")]
    [InlineData("Linux/AMD64", "linux", "amd64", "")]
    [InlineData("linux/ARM/V7", "linux", "arm", "v7")]
    [InlineData("i686", "linux", "386", "")]
    [InlineData("windows/amd64", "windows", "amd64", "")]
    [InlineData("  linux/riscv64  ", "linux", "riscv64", "")]
    public void Parse_normalises_os_architecture_and_variant(string input, string os, string architecture, string variant) =>
        Assert.Equal(new Platform(os, architecture, variant), Succ(Platform.Parse(input)));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("/")]
    [InlineData("linux/")]
    [InlineData("/amd64")]
    [InlineData("linux//v7")]
    [InlineData("linux/arm/v7/")]
    [InlineData("linux/amd64/v8/extra")]
    [InlineData("linux/am d64")]
    [InlineData("linux/amd64!")]
    [InlineData("linux:amd64")]
    [InlineData("linux/\u0000")]
    public void Parse_refuses_bad_platforms_and_the_message_quotes_the_input(string input)
    {
        var error = Fail(Platform.Parse(input));
        Assert.Equal(ErrorCodes.InvalidPlatform, error.Code);
        Assert.Contains($"\"{CoreErrors.Printable(input)}\"", error.Message);
    }

    [Theory]
    [InlineData("linux", "amd64", "", "linux/amd64")]
    [InlineData("linux", "arm", "v7", "linux/arm/v7")]
    public void ToString_is_os_slash_arch_with_an_optional_variant(string os, string arch, string variant, string expected) =>
        Assert.Equal(expected, new Platform(os, arch, variant).ToString());

    [Theory]
    // record platform, wanted platform, satisfies
    [InlineData("linux/amd64", "linux/amd64", true)]
    [InlineData("linux/amd64", "linux/arm64", false)]
    [InlineData("linux/amd64", "windows/amd64", false)]
    [InlineData("linux/arm64/v8", "linux/arm64", true)]
    [InlineData("linux/arm64", "linux/arm64/v8", false)]
    [InlineData("linux/arm/v7", "linux/arm/v6", false)]
    [InlineData("linux/arm/v7", "linux/arm/v7", true)]
    public void Satisfies_compares_fields_and_treats_an_empty_wanted_variant_as_any(string have, string want, bool expected) =>
        Assert.Equal(expected, Succ(Platform.Parse(have)).Satisfies(Succ(Platform.Parse(want))));

    [Fact]
    public void Empty_os_or_architecture_on_either_side_is_a_wildcard()
    {
        var amd64 = new Platform("linux", "amd64");
        Assert.True(amd64.Satisfies(Platform.Any));
        Assert.True(Platform.Any.Satisfies(amd64));
        Assert.True(amd64.Satisfies(new Platform("", "amd64")));
        Assert.True(amd64.Satisfies(new Platform("linux", "")));
        Assert.False(amd64.Satisfies(new Platform("", "arm64")));
    }

    [Fact]
    public void Printing_then_parsing_gives_back_the_same_platform() =>
        Gens.Platform.Sample(p => Assert.Equal(p, Succ(Platform.Parse(p.ToString()))));
}
