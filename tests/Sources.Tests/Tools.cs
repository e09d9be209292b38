using System.Diagnostics;
using Xunit;

namespace ImageCache.Sources.Tests;

/// <summary>Runs real tools (skopeo, umoci, tar, zstd, mkfifo, mknod); a missing tool fails the test with how to install it, never skips.</summary>
internal static class Tools
{
    public static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed (test.sh installs it: apt-get install {tool})", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}{await stdout}");
            return await stdout;
        }
    }

    public static Task<string> Skopeo(params string[] arguments) => RunAsync("skopeo", ["--insecure-policy", .. arguments]);

    /// <summary>Fails unless running as root (CI runs as root): owners and device nodes cannot be made otherwise.</summary>
    public static void RequireRoot(string why)
    {
        if (Environment.UserName != "root" && Native.Geteuid() != 0)
            Assert.Fail($"this test needs root ({why}); CI runs test.sh as root");
    }
}
