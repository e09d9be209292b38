using CsCheck;
using ImageCache.Core;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests;

public class DurationTextTests
{
    [Theory]
    [InlineData("90s", 0, 0, 1, 30)]
    [InlineData("45m", 0, 0, 45, 0)]
    [InlineData("12h", 0, 12, 0, 0)]
    [InlineData("30d", 30, 0, 0, 0)]
    [InlineData("2w", 14, 0, 0, 0)]
    [InlineData("1d12h", 1, 12, 0, 0)]
    [InlineData(" 1h30m ", 0, 1, 30, 0)]
    [InlineData("0s", 0, 0, 0, 0)]
    public void Parse_reads_numbers_with_units(string input, int days, int hours, int minutes, int seconds) =>
        Assert.Equal(new TimeSpan(days, hours, minutes, seconds), Succ(DurationText.Parse(input)));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("30")]
    [InlineData("d")]
    [InlineData("1x")]
    [InlineData("1D")]
    [InlineData("-1d")]
    [InlineData("1.5d")]
    [InlineData("1d 2h")]
    [InlineData("1000001s")]
    [InlineData("1d2")]
    public void Parse_refuses_durations_without_a_unit_or_with_junk(string input)
    {
        var error = Fail(DurationText.Parse(input));
        Assert.Equal(ErrorCodes.InvalidPolicy, error.Code);
        Assert.Contains($"\"{CoreErrors.Printable(input)}\"", error.Message);
    }

    [Fact]
    public void Parse_refuses_a_sum_too_large_for_a_TimeSpan_instead_of_throwing()
    {
        // Each part is within the per-number limit; together they overflow TimeSpan (about 29 227 years).
        var error = Fail(DurationText.Parse("1000000w1000000w"));
        Assert.Equal(ErrorCodes.InvalidPolicy, error.Code);
        Assert.True(DurationText.Parse("1000000w").IsSucc);
    }

    [Fact]
    public void Parse_never_throws() =>
        Gen.String[Gen.Char["0123456789smhdwx -"], 0, 40]
            .Sample(text => DurationText.Parse(text).Match(d => d >= TimeSpan.Zero, e => e.Code == ErrorCodes.InvalidPolicy), iter: 2000);
}
