using System.Diagnostics;
using Xunit;

namespace ImageCache.Plugins.Tests;

/// <summary>Runs the real skopeo; a missing skopeo fails the test with how to install it (never a skip).</summary>
internal static class SkopeoTool
{
    public static async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("skopeo") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--insecure-policy", .. arguments]) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("skopeo is not installed (apt-get install skopeo)", e); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"skopeo {string.Join(' ', arguments)} failed: {await stderr}{await stdout}");
        }
    }
}
