using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace ImageCache.Ext4.Tests;

/// <summary>Runs the real e2fsprogs tools. A missing tool fails the test (never skips it).</summary>
internal static class E2fsTools
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    /// <summary>e2fsck -fn: forced full check, answering no to everything; exit 0 means clean.</summary>
    public static Result Fsck(string image) => Run("e2fsck", "-fn", image);

    /// <summary>e2fsck -fn exits 0 and asks no question (with -n every problem shows as a "Fix? no"-style prompt).</summary>
    public static void AssertClean(string image)
    {
        var result = Fsck(image);
        Assert.True(result.ExitCode == 0 && !result.Stdout.Contains('?'), $"e2fsck -fn {image}: {result}");
    }

    /// <summary>debugfs -R REQUEST IMAGE (read-only).</summary>
    public static Result Debugfs(string image, string request) => Run("debugfs", "-R", request, image);

    public static string DebugfsOk(string image, string request)
    {
        var result = Debugfs(image, request);
        Assert.True(result.ExitCode == 0 && !result.Stderr.Contains("not found", StringComparison.OrdinalIgnoreCase)
            && !result.Stderr.Contains("File not found", StringComparison.Ordinal), $"debugfs -R '{request}': {result}");
        return result.Stdout;
    }

    public static Result Run(string tool, params string[] arguments)
    {
        var path = Locate(tool);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {path}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new Result(process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    private static string Locate(string tool)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate)) return candidate;
        }

        Assert.Fail($"{tool} (e2fsprogs) is not installed; these tests need the real tool.");
        throw new Win32Exception();
    }
}
