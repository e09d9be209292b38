using System.Diagnostics;

namespace ImageCache.Reliability.Tests;

/// <summary>What one CLI process did.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Out.Trim()}; stderr: {Error.Trim()}";
}

/// <summary>Runs the built CLI as a real process (<c>dotnet &lt;test output dir&gt;/imagecache.dll</c>) with the published plugins.</summary>
internal static class Cli
{
    /// <summary>Generous: processes here share two cores with 15 others and with other suites; a hang still fails.</summary>
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(Soak.Pick(180, 600));

    public static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "imagecache.dll");
            if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
                Assert.Fail($"{path} is missing: the project reference to src/Cli should copy the built CLI next to the tests");
            return path;
        }
    }

    /// <summary>src/Cli's own output folder holds the published plugins (build/PublishPlugins.targets).</summary>
    public static string PluginsDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name, "plugins");
            if (!Directory.Exists(Path.Combine(dir, "ImageCache.Builders.Ext4"))) Assert.Fail($"{dir} holds no published plugins; build src/Cli");
            return dir;
        }
    }

    static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>
    /// <c>imagecache --state-dir STATE --plugins-dir … ARGS</c>; <paramref name="tempDir"/> becomes the process's TMPDIR
    /// (the archive fetchers extract there), so a test can show it is left empty.
    /// </summary>
    public static ProcessStartInfo StartInfo(string state, string? tempDir, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in new[] { "--state-dir", state, "--plugins-dir", PluginsDir }.Concat(args)) info.ArgumentList.Add(arg);
        info.Environment.Remove("IMAGECACHE_STATE_DIR");
        info.Environment.Remove("IMAGECACHE_PLUGINS");
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (tempDir is not null) info.Environment["TMPDIR"] = tempDir;
        // The runtime's own diagnostics socket lives in TMPDIR; off, so whatever appears there is the product's.
        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        return info;
    }

    public static async Task<CliResult> RunAsync(string state, string? tempDir, params string[] args)
    {
        using var running = new Running(StartInfo(state, tempDir, args));
        return await running.ResultAsync();
    }

    /// <summary>A started CLI process whose output is being collected; killed on dispose if still running.</summary>
    public sealed class Running : IDisposable
    {
        readonly Process process;
        readonly Task<string> stdout;
        readonly Task<string> stderr;

        public Running(ProcessStartInfo info)
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("the CLI process did not start");
            process.StandardInput.Close();
            stdout = process.StandardOutput.ReadToEndAsync();
            stderr = process.StandardError.ReadToEndAsync();
        }

        public async Task<bool> WaitAsync(TimeSpan time)
        {
            using var cancel = new CancellationTokenSource(time);
            try { await process.WaitForExitAsync(cancel.Token); return true; }
            catch (OperationCanceledException) { return false; }
        }

        /// <summary>SIGKILL (Process.Kill on Unix), then wait for it to be gone.</summary>
        public async Task KillAsync()
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync();
        }

        public async Task<CliResult> ResultAsync()
        {
            if (!await WaitAsync(Timeout))
            {
                await KillAsync();
                Assert.Fail($"imagecache {string.Join(' ', process.StartInfo.ArgumentList.Skip(5))} did not finish within {Timeout.TotalSeconds} s");
            }
            return new CliResult(process.ExitCode, await stdout, await stderr);
        }

        public void Dispose()
        {
            if (!process.HasExited) { try { process.Kill(); process.WaitForExit(); } catch (InvalidOperationException) { } }
            process.Dispose();
        }
    }
}
