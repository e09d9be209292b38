using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ImageCache.Registry.Tests;

/// <summary>
/// A real Debian <c>docker-registry</c> on 127.0.0.1: either the plain one test.sh started (<see cref="Shared"/>, from
/// <c>IMAGECACHE_TEST_REGISTRY</c>) or one a test starts with its own config section (htpasswd or token auth), killed on
/// Dispose. A missing binary or variable fails the test with how to fix it; nothing is skipped.
/// </summary>
internal sealed class RegistryServer : IDisposable
{
    public const string Variable = "IMAGECACHE_TEST_REGISTRY";

    readonly Process? process;
    readonly string? directory;

    RegistryServer(string address, Process? process, string? directory)
    {
        Address = address;
        this.process = process;
        this.directory = directory;
    }

    /// <summary><c>127.0.0.1:PORT</c>.</summary>
    public string Address { get; }

    /// <summary>The registry test.sh started for the whole run.</summary>
    public static RegistryServer Shared
    {
        get
        {
            var address = Environment.GetEnvironmentVariable(Variable);
            if (string.IsNullOrEmpty(address))
                Assert.Fail($"{Variable} is not set: these tests need the docker-registry that ./test.sh starts on 127.0.0.1 "
                    + "(or start one yourself: docker-registry serve CONFIG, and export IMAGECACHE_TEST_REGISTRY=127.0.0.1:PORT)");
            return new RegistryServer(address, null, null);
        }
    }

    /// <summary>Starts a registry with <paramref name="extraConfig"/> appended to its YAML config (e.g. an <c>auth:</c> section).</summary>
    public static async Task<RegistryServer> StartAsync(string extraConfig = "")
    {
        var binary = FindBinary();
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("imagecache-registry-").FullName;
        var config = Path.Combine(dir, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {dir}/data
            http:
              addr: 127.0.0.1:{port}
            {extraConfig}
            """);
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RegistryServer($"127.0.0.1:{port}", process, dir);
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited)
            {
                server.Dispose();
                Assert.Fail($"docker-registry exited at start-up: {output}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/v2/");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return server;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        server.Dispose();
        Assert.Fail($"docker-registry did not answer on 127.0.0.1:{port}: {output}");
        return null!;
    }

    static string FindBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "docker-registry");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail("docker-registry is not installed (apt-get install docker-registry; test.sh installs it)");
        return null!;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (process is not null)
        {
            try { if (!process.HasExited) { process.Kill(entireProcessTree: true); process.WaitForExit(5000); } }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        if (directory is not null)
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
