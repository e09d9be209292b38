using System.Diagnostics;
using System.Text;

namespace ImageCache.Builders.Tests;

/// <summary>Runs the real tools (e2fsprogs, squashfs-tools-ng, umoci, GNU tar). A missing tool fails the test, never skips it.</summary>
internal static class Tools
{
    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string Text => Encoding.UTF8.GetString(Stdout);
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{(Stdout.Length > 4000 ? Text[..4000] + "…" : Text)}\n--- stderr ---\n{Stderr}";
    }

    public static Result Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(Locate(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.ToArray(), stderr.GetAwaiter().GetResult());
    }

    public static Result RunOk(string tool, params string[] arguments)
    {
        var result = Run(tool, arguments);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', arguments)}: {result}");
        return result;
    }

    public static string Locate(string tool)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"]);
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate)) return candidate;
        }

        Assert.Fail($"{tool} is not installed; these tests need the real tool (test.sh installs it).");
        return tool;
    }

    /// <summary>The checker of each output format: <c>e2fsck -fn</c> clean (exit 0, no question asked), <c>unsquashfs -s</c> exit 0.</summary>
    public static void AssertChecksClean(string image)
    {
        if (image.EndsWith(".sqfs", StringComparison.Ordinal))
        {
            RunOk("unsquashfs", "-s", image);
            return;
        }

        var fsck = Run("e2fsck", "-fn", image);
        Assert.True(fsck.ExitCode == 0 && !fsck.Text.Contains('?'), $"e2fsck -fn {image}: {fsck}");
    }
}
