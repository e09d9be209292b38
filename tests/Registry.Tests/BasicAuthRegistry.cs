using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace ImageCache.Registry.Tests;

/// <summary>A docker-registry with htpasswd Basic auth (<c>htpasswd -Bbn</c>), one image pushed, shared by a test class.</summary>
public class BasicAuthRegistry : IAsyncLifetime
{
    public const string User = "alice";
    public const string Password = "s3cret-Pa55-for-tests";

    RegistryServer? server;
    string? directory;

    internal RegistryServer Server => server!;

    /// <summary>More of the registry's YAML config, after its <c>auth:</c> section.</summary>
    protected virtual string ExtraConfig => "";

    internal PushedImage Image { get; private set; } = null!;

    public string Repository { get; } = TestImages.Repository("basic");

    public async Task InitializeAsync()
    {
        directory = Directory.CreateTempSubdirectory("imagecache-htpasswd-").FullName;
        var htpasswd = Path.Combine(directory, "htpasswd");
        var start = new ProcessStartInfo("htpasswd") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-Bbn", User, Password }) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("htpasswd is not installed (apt-get install apache2-utils)", e); }
        using (process)
        {
            var line = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, "htpasswd failed: " + await process.StandardError.ReadToEndAsync());
            File.WriteAllText(htpasswd, line);
        }
        server = await RegistryServer.StartAsync($"""
            auth:
              htpasswd:
                realm: imagecache-test
                path: {htpasswd}
            {ExtraConfig}
            """);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        Image = await TestImages.PushImageAsync(new ImagePusher(server.Address, basic), Repository, "v1");
    }

    public Task DisposeAsync()
    {
        server?.Dispose();
        if (directory is not null) Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }
}
