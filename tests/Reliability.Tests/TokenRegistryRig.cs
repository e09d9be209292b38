using System.Net.Http.Headers;
using ImageCache.Registry.Tests;
using RegistryImages = ImageCache.Registry.Tests.TestImages;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// A real docker-registry with token auth, started for a test class: the registry behind a fault-injecting proxy
/// (<see cref="Proxy"/>, what the CLI pulls from) and the token service behind another (<see cref="TokenProxy"/>: the
/// registry's challenge names the proxy as realm), so every phase of a pull — token, manifest, config, layers — can be
/// hit. <see cref="RestartProxy"/> brings a stopped proxy back at the same address.
/// </summary>
public sealed class TokenRegistryRig : IAsyncLifetime
{
    readonly TokenServer tokens = new();
    RegistryServer? registry;
    string? directory;

    internal FaultProxy Proxy { get; private set; } = null!;
    internal FaultProxy TokenProxy { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        directory = Directory.CreateTempSubdirectory("imagecache-faultrig-").FullName;
        var tokenAddress = new Uri(tokens.Realm).Authority;
        TokenProxy = new FaultProxy(tokenAddress);
        var config = tokens.RegistryConfig(directory).Replace(tokens.Realm, $"http://{TokenProxy.Address}/token", StringComparison.Ordinal);
        registry = await RegistryServer.StartAsync(config);
        Proxy = new FaultProxy(registry.Address);
    }

    /// <summary>Pushes a new image (gzip layer, plain layer of about <paramref name="bigLayerBytes"/>, config) straight to the registry.</summary>
    internal async Task<PushedImage> PushAsync(string repository, int bigLayerBytes)
    {
        var bearer = new AuthenticationHeaderValue("Bearer", tokens.Mint(repository, "pull", "push"));
        return await RegistryImages.PushImageAsync(new ImagePusher(registry!.Address, bearer), repository, "v1", padLayerBytes: bigLayerBytes);
    }

    /// <summary>Stops the registry proxy: connections in flight are cut, new ones refused.</summary>
    internal void StopProxy() => Proxy.Dispose();

    /// <summary>A new proxy (no faults, empty log) on the same port as before.</summary>
    internal void RestartProxy()
    {
        var port = Proxy.Port;
        Proxy.Dispose();
        Proxy = new FaultProxy(registry!.Address, port);
    }

    internal void ClearFaults()
    {
        Proxy.Faults = _ => null;
        TokenProxy.Faults = _ => null;
    }

    public Task DisposeAsync()
    {
        Proxy?.Dispose();
        TokenProxy?.Dispose();
        registry?.Dispose();
        tokens.Dispose();
        if (directory is not null) Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }
}
