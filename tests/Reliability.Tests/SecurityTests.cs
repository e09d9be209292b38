using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using ImageCache.Registry.Tests;
using Xunit.Abstractions;
using RegistryImages = ImageCache.Registry.Tests.TestImages;

namespace ImageCache.Reliability.Tests;

/// <summary>
/// Security properties through the real CLI: credentials (Basic from REGISTRY_AUTH_FILE, Bearer tokens) never appear in
/// anything a pull produced; state modes; plain HTTP never spoken to a registry name that is not loopback without
/// <c>--insecure</c>; <c>rm --purge</c>/<c>prune --purge</c> never delete through a symlink in <c>images/rootfs</c>.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class SecurityTests(BasicAuthRegistry basic, ITestOutputHelper output) : IClassFixture<BasicAuthRegistry>, IDisposable
{
    readonly Sandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    static string Base64(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>An auth.json (containers-auth.json format) outside the sandbox's grepped tree, and the environment naming only it.</summary>
    string AuthFile(string registry, string user, string password)
    {
        var dir = Directory.CreateTempSubdirectory("imagecache-authfile-").FullName;
        var file = Path.Combine(dir, "auth.json");
        File.WriteAllText(file, new System.Text.Json.Nodes.JsonObject
        {
            ["auths"] = new System.Text.Json.Nodes.JsonObject { [registry] = new System.Text.Json.Nodes.JsonObject { ["auth"] = Base64(user, password) } },
        }.ToJsonString());
        return file;
    }

    async Task<CliResult> RunAsync(string authFile, string state, params string[] args)
    {
        var info = Cli.StartInfo(state, sandbox.HostTemp, args);
        info.Environment["REGISTRY_AUTH_FILE"] = authFile;
        info.Environment["HOME"] = sandbox.Inputs;
        info.Environment.Remove("XDG_RUNTIME_DIR");
        info.Environment.Remove("DOCKER_CONFIG");
        using var running = new Cli.Running(info);
        return await running.ResultAsync();
    }

    /// <summary>Every byte the runs printed and every file under the sandbox (state directories, TMPDIR), searched for each secret.</summary>
    void AssertNowhere(IReadOnlyList<CliResult> results, IEnumerable<string> secrets)
    {
        var printed = string.Join("\n", results.Select(r => r.Out + "\n" + r.Error));
        var files = Directory.EnumerateFiles(sandbox.Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => new FileInfo(f).LinkTarget is null).ToList();
        Assert.Contains(files, f => f.EndsWith("index.json", StringComparison.Ordinal));
        var searched = 0L;
        foreach (var secret in secrets.Where(s => s.Length >= 8).Distinct())
        {
            Assert.DoesNotContain(secret, printed);
            var needle = Encoding.UTF8.GetBytes(secret);
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                searched += bytes.Length;
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"a secret ({secret[..4]}…) is in {Path.GetRelativePath(sandbox.Root, file)}");
            }
        }
        output.WriteLine($"{results.Count} runs ({printed.Length} chars printed), {files.Count} files, {searched} bytes searched: no secret");
    }

    [Fact]
    public async Task Basic_credentials_from_REGISTRY_AUTH_FILE_never_appear_in_output_state_or_errors()
    {
        var registry = basic.Server.Address;
        var reference = $"{registry}/{basic.Repository}:v1";
        var good = AuthFile(registry, BasicAuthRegistry.User, BasicAuthRegistry.Password);
        const string wrongPassword = "wrong-Pa55word-for-leak-test";
        var wrong = AuthFile(registry, BasicAuthRegistry.User, wrongPassword);
        var verboseState = Path.Combine(sandbox.Root, "state-verbose");
        try
        {
            var results = new List<CliResult>
            {
                await RunAsync(good, sandbox.State, "pull", reference),
                await RunAsync(good, verboseState, "-v", "pull", reference),
                await RunAsync(good, sandbox.State, "--json", "inspect", reference),
                await RunAsync(good, sandbox.State, "-v", "list"),
                await RunAsync(good, sandbox.State, "-v", "verify"),
            };
            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));

            // A refused credential: the error says where it looked (the file), never the secret, also with -v.
            var refused = await RunAsync(wrong, Path.Combine(sandbox.Root, "state-refused"), "-v", "pull", reference);
            Assert.Equal(1, refused.ExitCode);
            var error = Assert.Single(refused.Error.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains("authentication failed", error);
            Assert.Contains(wrong, error);
            results.Add(refused);

            AssertNowhere(results, [BasicAuthRegistry.Password, Base64(BasicAuthRegistry.User, BasicAuthRegistry.Password),
                wrongPassword, Base64(BasicAuthRegistry.User, wrongPassword)]);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(good)!, recursive: true);
            Directory.Delete(Path.GetDirectoryName(wrong)!, recursive: true);
        }
    }

    [Fact]
    public async Task Bearer_tokens_and_the_credentials_sent_for_them_never_appear_in_output_or_state()
    {
        const string user = "bob";
        const string password = "t0ken-Service-Pa55";
        using var tokens = new TokenServer((user, password));
        var dir = Directory.CreateTempSubdirectory("imagecache-tokenleak-").FullName;
        using var tokenProxy = new FaultProxy(new Uri(tokens.Realm).Authority);
        using var registry = await RegistryServer.StartAsync(
            tokens.RegistryConfig(dir).Replace(tokens.Realm, $"http://{tokenProxy.Address}/token", StringComparison.Ordinal));
        using var proxy = new FaultProxy(registry.Address);
        var repository = RegistryImages.Repository("tokenleak");
        await RegistryImages.PushImageAsync(new ImagePusher(registry.Address,
            new AuthenticationHeaderValue("Bearer", tokens.Mint(repository, "pull", "push"))), repository, "v1");
        var reference = $"{proxy.Address}/{repository}:v1";
        var auth = AuthFile(proxy.Address, user, password);
        try
        {
            var results = new List<CliResult>
            {
                await RunAsync(auth, sandbox.State, "pull", reference),
                await RunAsync(auth, Path.Combine(sandbox.Root, "state-verbose"), "-v", "pull", reference),
                await RunAsync(auth, sandbox.State, "-v", "--json", "inspect", reference),
            };
            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));

            var bearers = proxy.Authorizations.Keys.Where(a => a.StartsWith("Bearer ", StringComparison.Ordinal)).Select(a => a["Bearer ".Length..]).ToList();
            Assert.NotEmpty(bearers); // the registry was really reached with tokens
            Assert.Contains(tokenProxy.Authorizations.Keys, a => a == "Basic " + Base64(user, password)); // and the token service with the credential
            // The whole token, and its signature alone (a token cut at a line break would still leak that part).
            var secrets = bearers.Concat(bearers.Select(b => b[(b.LastIndexOf('.') + 1)..])).Concat([password, Base64(user, password)]).ToList();
            AssertNowhere(results, secrets);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(auth)!, recursive: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task After_a_pull_state_files_are_0600_directories_0700_blobs_and_baselines_0444()
    {
        var auth = AuthFile(basic.Server.Address, BasicAuthRegistry.User, BasicAuthRegistry.Password);
        try
        {
            var pulled = await RunAsync(auth, sandbox.State, "pull", $"{basic.Server.Address}/{basic.Repository}:v1");
            Assert.True(pulled.ExitCode == 0, pulled.ToString());
            Assert.True((await RunAsync(auth, sandbox.State, "tag", $"{basic.Server.Address}/{basic.Repository}:v1", "modes-test")).ExitCode == 0);
        }
        finally { Directory.Delete(Path.GetDirectoryName(auth)!, recursive: true); }

        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode rwx = rw | UnixFileMode.UserExecute;
        const UnixFileMode readOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var wrong = new List<string>();
        var counts = new Dictionary<string, int> { ["dir"] = 0, ["file"] = 0, ["blob"] = 0, ["baseline"] = 0 };
        Assert.Equal(rwx, File.GetUnixFileMode(sandbox.State));
        foreach (var entry in new DirectoryInfo(sandbox.State).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(sandbox.State, entry.FullName);
            var (kind, expected) = entry switch
            {
                DirectoryInfo => ("dir", rwx),
                _ when relative.StartsWith("oci/blobs/", StringComparison.Ordinal) => ("blob", readOnly),
                _ when relative.StartsWith("images/rootfs/", StringComparison.Ordinal) => ("baseline", readOnly),
                _ => ("file", rw),
            };
            counts[kind]++;
            if (entry.LinkTarget is not null || entry.UnixFileMode != expected)
                wrong.Add($"{relative}: {Convert.ToString((int)entry.UnixFileMode, 8)} (want {Convert.ToString((int)expected, 8)})");
        }
        output.WriteLine(string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}s")));
        Assert.Empty(wrong);
        Assert.True(counts["baseline"] >= 1 && counts["blob"] >= 4 && counts["file"] >= 2, string.Join(", ", counts));
    }

    [Fact]
    public async Task A_registry_name_that_is_not_loopback_gets_TLS_never_plain_HTTP_without_insecure()
    {
        // The machine's own host name resolves to a 127.0.0.0/8 address here (/etc/hosts) but is not a loopback *name*
        // (only localhost and loopback IP literals are), so it stands for a remote registry. (0.0.0.0 would too, but
        // .NET refuses it as a target.) A listener on that address records the first bytes of each connection: a TLS
        // ClientHello starts with 0x16, plain HTTP with "GET "/"HEAD".
        // Where the host name resolves elsewhere (a container's own address), test.sh adds the reserved name
        // imagecache-remote.test → 127.0.0.1 to /etc/hosts instead.
        string? name = null;
        IPAddress? address = null;
        foreach (var candidate in new[] { Dns.GetHostName(), "imagecache-remote.test" })
        {
            if (string.Equals(candidate, "localhost", StringComparison.OrdinalIgnoreCase)) continue;
            IPAddress[] addresses;
            try { addresses = await Dns.GetHostAddressesAsync(candidate); }
            catch (SocketException) { continue; }
            address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && IPAddress.IsLoopback(a));
            if (address is not null) { name = candidate; break; }
        }
        Assert.True(name is not null && address is not null,
            $"this test needs the host name '{Dns.GetHostName()}' or imagecache-remote.test to resolve to a 127.0.0.0/8 address (test.sh adds the latter to /etc/hosts as root)");
        using var listener = new TcpListener(address, 0);
        listener.Start();
        var reference = $"{name}:{((IPEndPoint)listener.LocalEndpoint).Port}/some/image:v1";
        var openings = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync(stop.Token);
                    var buffer = new byte[4];
                    using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    quiet.CancelAfter(TimeSpan.FromSeconds(5));
                    var read = await client.GetStream().ReadAtLeastAsync(buffer, 4, throwOnEndOfStream: false, quiet.Token);
                    openings.Enqueue(read > 0 && buffer[0] == 0x16 ? "TLS" : Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
            catch (OperationCanceledException) { }
        });
        try
        {
            var refused = await sandbox.RunAsync("pull", reference);
            var error = Assert.Single(refused.Error.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            var plain = openings.ToArray();
            output.WriteLine($"{reference} without --insecure: connections opened with [{string.Join(", ", plain)}]; {error}");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("--insecure", error);
            Assert.NotEmpty(plain);
            Assert.All(plain, opening => Assert.Equal("TLS", opening));

            openings.Clear();
            var insecure = await sandbox.RunAsync("pull", "--insecure", reference);
            var fallback = openings.ToArray();
            output.WriteLine($"{reference} with --insecure: connections opened with [{string.Join(", ", fallback)}]; exit {insecure.ExitCode}");
            Assert.Contains(fallback, opening => opening is "GET " or "HEAD"); // the fallback to plain HTTP happens only when asked for
            Assert.Empty(Directory.Exists(sandbox.RootfsDir) ? Directory.GetFiles(sandbox.RootfsDir) : []);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await accepting;
        }
    }

    [Fact]
    public async Task Purge_and_prune_never_delete_through_a_symlink_in_images_rootfs()
    {
        // Host.Tests' StoreSymlinkTests cover the client calls with hand-made records; this is the CLI end to end with a
        // real pulled baseline moved behind a symlink (images/rootfs/link -> a directory outside the state directory).
        var reference = $"{basic.Server.Address}/{basic.Repository}:v1";
        var auth = AuthFile(basic.Server.Address, BasicAuthRegistry.User, BasicAuthRegistry.Password);
        try
        {
            var pulled = await RunAsync(auth, sandbox.State, "pull", reference);
            Assert.True(pulled.ExitCode == 0, pulled.ToString());
        }
        finally { Directory.Delete(Path.GetDirectoryName(auth)!, recursive: true); }
        var baseline = Assert.Single(Directory.GetFiles(sandbox.RootfsDir));
        var name = Path.GetFileName(baseline);
        var outside = Path.Combine(sandbox.Victim, "elsewhere");
        Directory.CreateDirectory(outside);
        File.SetUnixFileMode(baseline, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(baseline, Path.Combine(outside, name));
        File.WriteAllText(Path.Combine(outside, "orphan-looking.ext4"), "not the store's\n");
        File.WriteAllText(Path.Combine(outside, "precious"), "keep me\n");
        Directory.CreateSymbolicLink(Path.Combine(sandbox.RootfsDir, "link"), outside);
        var indexPath = Path.Combine(sandbox.State, "images", "index.json");
        var index = File.ReadAllText(indexPath);
        var moved = index.Replace("rootfs/" + name, "rootfs/link/" + name, StringComparison.Ordinal);
        Assert.NotEqual(index, moved);
        File.WriteAllText(indexPath, moved);
        var before = Sandbox.Snapshot(outside);

        var prune = await sandbox.RunAsync("prune", "--purge", "--yes");
        var remove = await sandbox.RunAsync("rm", "--purge", "--yes", reference);
        var pruneAgain = await sandbox.RunAsync("prune", "--purge", "--yes");
        output.WriteLine($"prune: {prune}\nrm: {remove}\nprune: {pruneAgain}");

        Assert.Equal(before, Sandbox.Snapshot(outside)); // nothing behind the link deleted or changed
        Assert.True(Directory.Exists(Path.Combine(sandbox.RootfsDir, "link")), "the link itself is gone");
        Assert.All(new[] { prune, remove, pruneAgain }, r => Assert.DoesNotContain("internal error", r.Error));
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.DoesNotContain(basic.Repository, (await sandbox.RunAsync("list")).Out);
    }
}
