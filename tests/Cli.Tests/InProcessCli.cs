namespace ImageCache.Cli.Tests;

/// <summary>What a CLI run printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";

    /// <summary>Asserts the contract of an expected failure: exit 1, nothing on stdout, one <c>error: …</c> line on stderr; returns that line.</summary>
    public string AssertOneErrorLine()
    {
        Assert.True(ExitCode == 1, $"expected exit 1\n{this}");
        Assert.True(Out.Length == 0, $"expected nothing on stdout\n{this}");
        var line = Assert.Single(ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.EndsWith("\n", Error);
        return line;
    }
}

/// <summary>Runs <see cref="CommandLineApp"/> in this process with captured streams.</summary>
internal static class InProcessCli
{
    public static async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, input: null, inputIsTerminal: false);

    public static async Task<CliResult> RunAsync(string[] args, string? input, bool inputIsTerminal)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        using var reader = new StringReader(input ?? "");
        var code = await CommandLineApp.RunAsync(args, new CliEnvironment(output, error, reader, inputIsTerminal, OutputIsTerminal: false));
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
