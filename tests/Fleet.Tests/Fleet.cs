using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace ImageCache.Fleet.Tests;

/// <summary>
/// The fleet the tests simulate: the loopback registry test.sh started, and hosts (state directories) that run the real
/// CLI (<c>dotnet src/Cli/bin/…/imagecache.dll</c>, with the plugins published beside it). Every directory is removed on Dispose.
/// </summary>
internal sealed class Fleet : IDisposable
{
    public const string RegistryVariable = "IMAGECACHE_TEST_REGISTRY";

    readonly string root = Directory.CreateTempSubdirectory("imagecache-fleet-").FullName;

    public Fleet()
    {
        var address = Environment.GetEnvironmentVariable(RegistryVariable);
        if (string.IsNullOrEmpty(address))
            Assert.Fail($"{RegistryVariable} is not set: the fleet tests need the docker-registry that ./test.sh starts on 127.0.0.1 "
                + "(or start one yourself: docker-registry serve CONFIG, and export IMAGECACHE_TEST_REGISTRY=127.0.0.1:PORT)");
        Registry = address;
        Cache = $"{address}/{TestImages.Repository("fleet-cache")}";
    }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Registry { get; }

    /// <summary>The shared cache repository, unique to this fleet.</summary>
    public string Cache { get; }

    public ImagePusher Pusher => new(Registry);

    public string Host(string name) => Path.Combine(root, name);

    public void Dispose()
    {
        // Sealed baselines are 0444 inside 0755 directories: removable by the owner.
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>src/Cli's output folder (same configuration and framework as this test assembly).</summary>
    static string CliDir
    {
        get
        {
            var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var repo = baseDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(repo, "src", "Cli", "bin", baseDir.Parent!.Name, baseDir.Name);
            if (!Directory.Exists(Path.Combine(dir, "plugins", "ImageCache.Fetchers.Registry")))
                Assert.Fail($"{dir}/plugins holds no published registry plugin; build src/Cli");
            return dir;
        }
    }

    /// <summary>Runs <c>imagecache --state-dir HOST --json ARGS</c>, with extra environment variables.</summary>
    public async Task<CliRun> RunAsync(string host, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        string[] all = [Path.Combine(CliDir, "imagecache.dll"), "--state-dir", Host(host), "--json", .. args];
        return await RunProgramAsync(dotnet, all, environment);
    }

    public static async Task<CliRun> RunProgramAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("IMAGECACHE_STATE_DIR");
        start.Environment.Remove("IMAGECACHE_PLUGINS");
        start.Environment.Remove("IMAGECACHE_SHARED_CACHE");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"{program} is not installed (test.sh installs it)", e); }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); Assert.Fail($"{program} did not finish in 180 s"); }
            return new CliRun(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary><c>skopeo inspect --raw</c> of a reference in the registry (plain HTTP), parsed.</summary>
    public async Task<JsonDocument> InspectRawAsync(string reference)
    {
        var run = await RunProgramAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{reference}"]);
        Assert.True(run.Exit == 0, $"skopeo inspect {reference} failed: {run.Stderr}");
        return JsonDocument.Parse(run.Stdout);
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>What one CLI run printed.</summary>
internal sealed record CliRun(int Exit, string Stdout, string Stderr)
{
    public JsonElement Record()
    {
        Assert.True(Exit == 0, $"imagecache failed ({Exit}): {Stderr}");
        using var document = JsonDocument.Parse(Stdout);
        return document.RootElement.Clone();
    }
}
