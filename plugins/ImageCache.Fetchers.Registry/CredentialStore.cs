using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// Finds registry credentials the way skopeo/podman and docker do (oci-rules §3.3), first hit wins:
/// <c>$REGISTRY_AUTH_FILE</c>, <c>$XDG_RUNTIME_DIR/containers/auth.json</c>, then docker's config
/// (<c>$DOCKER_CONFIG/config.json</c>, or <c>~/.docker/config.json</c> when <c>DOCKER_CONFIG</c> is unset, as docker
/// itself does). In each file: <c>credHelpers[registry]</c>, then an <c>auths</c> entry (<c>auth</c> = base64
/// <c>user:pass</c>, or <c>username</c>/<c>password</c>), then <c>credsStore</c>; helpers run as
/// <c>docker-credential-NAME get</c> with the server URL on stdin.
/// </summary>
/// <remarks>Secrets only ever live in <see cref="RegistryCredential"/>; nothing here puts one in a message.</remarks>
internal sealed class CredentialStore(RegistryFetcherOptions options)
{
    /// <summary>The result of a lookup: the credential (or null) and every place looked at, for the "authentication required" message.</summary>
    public sealed record Lookup(RegistryCredential? Credential, IReadOnlyList<string> Searched);

    /// <summary>The credential files in lookup order, each with how it was found.</summary>
    public IReadOnlyList<(string Path, string Origin)> Files()
    {
        var files = new List<(string, string)>();
        if (Env("REGISTRY_AUTH_FILE") is { } authFile) files.Add((authFile, "$REGISTRY_AUTH_FILE"));
        if (Env("XDG_RUNTIME_DIR") is { } runtime) files.Add((Path.Combine(runtime, "containers", "auth.json"), "$XDG_RUNTIME_DIR/containers/auth.json"));
        if (Env("DOCKER_CONFIG") is { } dockerConfig) files.Add((Path.Combine(dockerConfig, "config.json"), "$DOCKER_CONFIG/config.json"));
        else if (Env("HOME") is { } home) files.Add((Path.Combine(home, ".docker", "config.json"), "~/.docker/config.json"));
        return files;
    }

    /// <summary>Looks up the credential for <paramref name="reference"/>'s registry.</summary>
    /// <exception cref="ImageSourceException">A credential file is unreadable or malformed, or a helper failed.</exception>
    public async Task<Lookup> FindAsync(RegistryReference reference, CancellationToken cancellationToken)
    {
        var searched = new List<string>();
        foreach (var (path, origin) in Files())
        {
            if (!File.Exists(path)) { searched.Add($"{path} ({origin}, not present)"); continue; }
            searched.Add($"{path} ({origin})");
            byte[] bytes;
            try { bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ImageSourceException($"cannot read the credential file {path}: {e.Message}", e);
            }
            using var document = Json.Parse(bytes, $"credential file {path}");
            var root = document.RootElement;

            if (Json.Property(root, "credHelpers", JsonValueKind.Object) is { } helpers
                && Match(helpers, reference) is { ValueKind: JsonValueKind.String } helperName)
            {
                var found = await RunHelperAsync(helperName.GetString()!, reference, cancellationToken).ConfigureAwait(false);
                if (found is not null) return new Lookup(found, searched);
                searched.Add($"docker-credential-{helperName.GetString()} (credHelpers in {path}; no entry)");
            }
            if (Json.Property(root, "auths", JsonValueKind.Object) is { } auths
                && Match(auths, reference) is { ValueKind: JsonValueKind.Object } entry
                && FromAuthEntry(entry, path) is { } fromFile)
            {
                return new Lookup(fromFile, searched);
            }
            if (Json.String(root, "credsStore") is { Length: > 0 } store)
            {
                var found = await RunHelperAsync(store, reference, cancellationToken).ConfigureAwait(false);
                if (found is not null) return new Lookup(found, searched);
                searched.Add($"docker-credential-{store} (credsStore in {path}; no entry)");
            }
        }
        return new Lookup(null, searched);
    }

    /// <summary>
    /// The entry of <paramref name="map"/> for the registry: keys are compared without scheme and <c>/v1/</c>-style
    /// paths; podman's per-repository keys (<c>host/namespace</c>) win over the bare host, the longest first.
    /// </summary>
    static JsonElement? Match(JsonElement map, RegistryReference reference)
    {
        var hosts = reference.Registry == RegistryReference.DockerHub
            ? new[] { "docker.io", "index.docker.io", "registry-1.docker.io" }
            : [reference.Registry];
        JsonElement? best = null;
        var bestLength = -1;
        foreach (var property in map.EnumerateObject())
        {
            var key = property.Name;
            if (key.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) key = key[8..];
            else if (key.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) key = key[7..];
            key = key.TrimEnd('/');
            if (key.EndsWith("/v1", StringComparison.Ordinal) || key.EndsWith("/v2", StringComparison.Ordinal)) key = key[..^3];
            foreach (var host in hosts)
            {
                var matches = string.Equals(key, host, StringComparison.OrdinalIgnoreCase)
                    || (key.StartsWith(host + "/", StringComparison.OrdinalIgnoreCase)
                        && (reference.Repository + "/").StartsWith(key[(host.Length + 1)..] + "/", StringComparison.Ordinal));
                if (matches && key.Length > bestLength) { best = property.Value; bestLength = key.Length; }
            }
        }
        return best;
    }

    static RegistryCredential? FromAuthEntry(JsonElement entry, string path)
    {
        if (Json.String(entry, "auth") is { Length: > 0 } auth)
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth)); }
            catch (FormatException) { throw new ImageSourceException($"credential file {path}: an 'auth' value is not valid base64"); }
            var colon = decoded.IndexOf(':');
            if (colon <= 0) throw new ImageSourceException($"credential file {path}: an 'auth' value is not of the form user:password");
            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..], path);
        }
        if (Json.String(entry, "username") is { Length: > 0 } username && Json.String(entry, "password") is { } password)
            return new RegistryCredential(username, password, path);
        return null;
    }

    /// <summary>Runs <c>docker-credential-NAME get</c>; null when the helper has no entry for the registry.</summary>
    async Task<RegistryCredential?> RunHelperAsync(string name, RegistryReference reference, CancellationToken cancellationToken)
    {
        if (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ImageSourceException($"invalid credential helper name '{Digests.Printable(name)}'");
        var program = "docker-credential-" + name;
        var executable = FindOnPath(program)
            ?? throw new ImageSourceException($"credential helper {program} is configured but not found on PATH");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add("get");
        using var process = Process.Start(start) ?? throw new ImageSourceException($"credential helper {program} did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CredentialHelperTimeout);
        try
        {
            await process.StandardInput.WriteAsync(reference.AuthKey).ConfigureAwait(false);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var output = await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                // The protocol's "not found" answer is the text "credentials not found in native keychain" on stdout.
                if ((output + error).Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
                throw new ImageSourceException($"credential helper {program} failed (exit {process.ExitCode}): {Digests.Printable(error.Trim())}");
            }
            using var document = Json.Parse(Encoding.UTF8.GetBytes(output), $"the answer of {program}");
            var username = Json.String(document.RootElement, "Username");
            var secret = Json.String(document.RootElement, "Secret");
            if (string.IsNullOrEmpty(username) || secret is null) return null;
            if (username == "<token>")
                throw new ImageSourceException($"credential helper {program} returned an identity token for {reference.Registry}; OAuth2 identity tokens are not supported yet");
            return new RegistryCredential(username, secret, program);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new ImageSourceException($"credential helper {program} did not answer within {options.CredentialHelperTimeout.TotalSeconds:0} s");
        }
    }

    string? FindOnPath(string program)
    {
        foreach (var dir in (Env("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    string? Env(string name) => options.Environment(name) is { Length: > 0 } value ? value : null;
}
