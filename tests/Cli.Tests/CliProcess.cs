using System.Diagnostics;

namespace ImageCache.Cli.Tests;

/// <summary>Runs the built CLI as a real process: <c>dotnet &lt;test output dir&gt;/imagecache.dll …</c>, stdin redirected (not a terminal).</summary>
internal static class CliProcess
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The CLI the project reference copies next to the test assembly; a clear failure when it is not there.</summary>
    public static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "imagecache.dll");
            foreach (var needed in new[] { path, Path.ChangeExtension(path, ".runtimeconfig.json"), Path.ChangeExtension(path, ".deps.json") })
                if (!File.Exists(needed))
                    Assert.Fail($"{needed} is missing: the project reference to src/Cli/ImageCache.Cli.csproj should copy the built CLI next to the tests (rebuild tests/Cli.Tests)");
            return path;
        }
    }

    /// <summary>The dotnet host that runs these tests (the SDK sets DOTNET_HOST_PATH), else <c>dotnet</c> on PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("IMAGECACHE_STATE_DIR");
        info.Environment.Remove("IMAGECACHE_PLUGINS");
        info.Environment["DOTNET_NOLOGO"] = "1";
        // A runtime killed with SIGKILL leaves its debug pipes and diagnostics socket in /tmp; the kill tests make dozens.
        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        return info;
    }

    /// <summary>A started CLI process whose output is being collected.</summary>
    public sealed class Running : IDisposable
    {
        readonly Process process;
        readonly Task<string> stdout;
        readonly Task stderr;
        readonly System.Text.StringBuilder errorText = new();

        public Running(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
        {
            var info = StartInfo(args);
            foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
            process = Process.Start(info) ?? throw new InvalidOperationException("the CLI process did not start");
            process.StandardInput.Close();
            stdout = process.StandardOutput.ReadToEndAsync();
            stderr = CollectErrorAsync(process.StandardError);
        }

        /// <summary>What the process wrote to stderr so far (a test can wait for a message while it runs).</summary>
        public string ErrorSoFar
        {
            get { lock (errorText) return errorText.ToString(); }
        }

        async Task CollectErrorAsync(StreamReader reader)
        {
            var buffer = new char[4096];
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
                lock (errorText) errorText.Append(buffer, 0, read);
        }

        /// <summary>Waits up to <paramref name="time"/>; true when the process exited.</summary>
        public async Task<bool> WaitAsync(TimeSpan time)
        {
            using var cancel = new CancellationTokenSource(time);
            try { await process.WaitForExitAsync(cancel.Token); return true; }
            catch (OperationCanceledException) { return false; }
        }

        /// <summary>The process id (to send it a signal).</summary>
        public int Id => process.Id;

        /// <summary>Sends a signal (INT, TERM, …) with the real <c>kill</c> command.</summary>
        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-" + name, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        /// <summary>SIGKILL, then wait for it to be gone.</summary>
        public async Task KillAsync()
        {
            try { process.Kill(); } catch (InvalidOperationException) { } // already exited
            await process.WaitForExitAsync();
        }

        public async Task<CliResult> ResultAsync()
        {
            if (!await WaitAsync(Timeout))
            {
                await KillAsync();
                Assert.Fail($"imagecache did not finish within {Timeout.TotalSeconds} s");
            }
            var output = await stdout;
            await stderr;
            return new CliResult(process.ExitCode, output, ErrorSoFar);
        }

        public void Dispose()
        {
            if (!process.HasExited) { try { process.Kill(); process.WaitForExit(); } catch (InvalidOperationException) { } }
            process.Dispose();
        }
    }

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var running = new Running(args);
        return await running.ResultAsync();
    }
}
