using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Registry.Tests;

/// <summary>Basic auth against a real htpasswd registry, with the credential found through each source.</summary>
public sealed class BasicAuthTests(BasicAuthRegistry registry) : IClassFixture<BasicAuthRegistry>, IDisposable
{
    readonly TestStore store = new();

    public void Dispose() => store.Dispose();

    string Reference => $"{registry.Server.Address}/{registry.Repository}:v1";

    string Dir(string name)
    {
        var dir = Path.Combine(store.Root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    static string AuthsFile(string key, string user, string password, bool split = false) => new JsonObject
    {
        ["auths"] = new JsonObject
        {
            [key] = split
                ? new JsonObject { ["username"] = user, ["password"] = password }
                : new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) },
        },
    }.ToJsonString();

    async Task AssertPullsAsync()
    {
        var fetched = await store.FetchAsync(Reference);
        Assert.Equal(registry.Image.ManifestDigest, fetched.ManifestDigest);
        Assert.All(registry.Image.LayerDigests, d => Assert.True(store.Blobs.Contains(d)));
    }

    [Fact]
    public async Task Without_credentials_the_error_says_authentication_is_required_and_where_it_looked()
    {
        store.Environment["HOME"] = Dir("home");
        store.Environment["XDG_RUNTIME_DIR"] = Dir("run");

        var error = await store.FailAsync(Reference);

        Assert.StartsWith($"authentication required for {registry.Server.Address}/{registry.Repository}", error.Message);
        Assert.Contains($"no credentials for {registry.Server.Address} found", error.Message);
        Assert.Contains(Path.Combine(store.Root, "run", "containers", "auth.json"), error.Message);
        Assert.Contains(Path.Combine(store.Root, "home", ".docker", "config.json"), error.Message);
        Assert.Empty(store.VisibleBlobs);
    }

    [Fact]
    public async Task REGISTRY_AUTH_FILE_is_used()
    {
        var file = Path.Combine(Dir("a"), "auth.json");
        File.WriteAllText(file, AuthsFile(registry.Server.Address, BasicAuthRegistry.User, BasicAuthRegistry.Password));
        store.Environment["REGISTRY_AUTH_FILE"] = file;
        await AssertPullsAsync();
    }

    [Fact]
    public async Task XDG_RUNTIME_DIR_containers_auth_json_is_used()
    {
        var run = Dir("run");
        Directory.CreateDirectory(Path.Combine(run, "containers"));
        File.WriteAllText(Path.Combine(run, "containers", "auth.json"),
            AuthsFile($"{registry.Server.Address}/test", BasicAuthRegistry.User, BasicAuthRegistry.Password, split: true)); // podman's per-namespace key
        store.Environment["XDG_RUNTIME_DIR"] = run;
        await AssertPullsAsync();
    }

    [Fact]
    public async Task DOCKER_CONFIG_config_json_is_used()
    {
        var config = Dir("docker");
        File.WriteAllText(Path.Combine(config, "config.json"), AuthsFile($"http://{registry.Server.Address}", BasicAuthRegistry.User, BasicAuthRegistry.Password));
        store.Environment["DOCKER_CONFIG"] = config;
        await AssertPullsAsync();
    }

    [Fact]
    public async Task Home_docker_config_json_is_used()
    {
        var home = Dir("home");
        Directory.CreateDirectory(Path.Combine(home, ".docker"));
        File.WriteAllText(Path.Combine(home, ".docker", "config.json"), AuthsFile(registry.Server.Address, BasicAuthRegistry.User, BasicAuthRegistry.Password));
        store.Environment["HOME"] = home;
        await AssertPullsAsync();
    }

    /// <summary>A docker-credential-NAME script that answers for the test registry and records what it was asked.</summary>
    string WriteHelper(string name)
    {
        var bin = Dir("bin");
        var script = Path.Combine(bin, "docker-credential-" + name);
        File.WriteAllText(script, $$"""
            #!/bin/sh
            [ "$1" = get ] || exit 1
            read -r server
            echo "$server" > "{{bin}}/{{name}}.asked"
            if [ "$server" = "{{registry.Server.Address}}" ]; then
              printf '{"ServerURL":"%s","Username":"{{BasicAuthRegistry.User}}","Secret":"{{BasicAuthRegistry.Password}}"}' "$server"
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        store.Environment["PATH"] = bin + ":" + store.Environment["PATH"];
        return bin;
    }

    [Fact]
    public async Task CredHelpers_run_docker_credential_NAME_get()
    {
        var bin = WriteHelper("perhost");
        var config = Dir("docker");
        File.WriteAllText(Path.Combine(config, "config.json"), new JsonObject { ["credHelpers"] = new JsonObject { [registry.Server.Address] = "perhost" } }.ToJsonString());
        store.Environment["DOCKER_CONFIG"] = config;

        await AssertPullsAsync();
        Assert.Equal(registry.Server.Address, File.ReadAllText(Path.Combine(bin, "perhost.asked")).Trim());
    }

    [Fact]
    public async Task CredsStore_runs_the_store_helper()
    {
        var bin = WriteHelper("store");
        var config = Dir("docker");
        File.WriteAllText(Path.Combine(config, "config.json"), """{"auths":{},"credsStore":"store"}""");
        store.Environment["DOCKER_CONFIG"] = config;

        await AssertPullsAsync();
        Assert.True(File.Exists(Path.Combine(bin, "store.asked")));
    }

    [Fact]
    public async Task Rejected_credentials_are_reported_by_source_and_the_secret_never_appears()
    {
        const string wrong = "wrong-Pa55word-xyz";
        var file = Path.Combine(Dir("a"), "auth.json");
        File.WriteAllText(file, AuthsFile(registry.Server.Address, BasicAuthRegistry.User, wrong));
        store.Environment["REGISTRY_AUTH_FILE"] = file;

        var error = await store.FailAsync(Reference);

        Assert.Contains("authentication failed", error.Message);
        Assert.Contains($"refused the credentials of '{BasicAuthRegistry.User}' from {file}", error.Message);
        var everything = error.ToString();
        Assert.DoesNotContain(wrong, everything);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicAuthRegistry.User}:{wrong}")), everything);
    }
}
