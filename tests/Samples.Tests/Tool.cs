using System.Diagnostics;

namespace ImageCache.Samples.Tests;

/// <summary>The outcome of a child process.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs real programs (the CLI, dotnet, fsck.erofs, debugfs, …) as child processes. A missing tool fails the test;
/// a process still running at the timeout is killed and fails the test.
/// </summary>
internal static class Tool
{
    /// <summary>The dotnet host that runs these tests (the SDK sets DOTNET_HOST_PATH), else <c>dotnet</c> on PATH.</summary>
    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>The repository root (the directory holding ImageCache.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImageCache.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no ImageCache.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Fails the test when <paramref name="tool"/> is not on PATH.</summary>
    public static void Require(string tool, string package)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!path.Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool))))
            Assert.Fail($"{tool} is not on PATH; install Debian package {package} (test.sh does)");
    }

    public static async Task<ToolResult> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // A child dotnet must not inherit the test host's MSBuild wiring, nor the user's ImageCache settings.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment.Remove("IMAGECACHE_STATE_DIR");
        info.Environment.Remove("IMAGECACHE_PLUGINS");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
            foreach (var (key, value) in environment)
                if (value is null) info.Environment.Remove(key);
                else info.Environment[key] = value;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish in time");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs <paramref name="program"/> and fails the test unless it exits 0.</summary>
    public static async Task<ToolResult> RunOkAsync(string program, params string[] arguments)
    {
        var result = await RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {result}");
        return result;
    }

    /// <summary>The built CLI copied beside the tests.</summary>
    public static string CliDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "imagecache.dll");
            if (!File.Exists(path)) Assert.Fail($"{path} is missing; the project reference to src/Cli should copy it (rebuild tests/Samples.Tests)");
            return path;
        }
    }

    /// <summary>Runs <c>imagecache ARGS</c> as a real process.</summary>
    public static Task<ToolResult> CliAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        RunAsync(Dotnet, [CliDll, .. arguments], environment: environment);
}
