using ImageCache.Cli;

namespace ImageCache.Cli.Tests;

/// <summary>The early warm-up starts only for commands that use the index; it finds the command past the root options.</summary>
public sealed class EarlyWarmupTests
{
    [Theory]
    [InlineData("tag a b", "tag")]
    [InlineData("--state-dir /s tag a b", "tag")]
    [InlineData("--state-dir=/s --json ls", "ls")]
    [InlineData("--plugins-dir pull --quiet list", "list")] // "pull" is the value of --plugins-dir
    [InlineData("-q pull busybox", "pull")]
    [InlineData("--version", null)]
    [InlineData("", null)]
    [InlineData("--state-dir", null)]
    [InlineData("-- tag", null)]
    public void The_command_is_the_first_argument_that_is_neither_an_option_nor_its_value(string line, string? expected)
    {
        var args = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected, EarlyWarmup.CommandName(args));
    }
}
