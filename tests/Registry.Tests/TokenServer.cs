using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageCache.Registry.Tests;

/// <summary>
/// A Docker token service (distribution docs/spec/auth/token.md) on 127.0.0.1, served with HttpListener: it signs ES256
/// JWTs with a key and self-signed certificate generated here (the registry trusts the certificate through
/// <c>rootcertbundle</c>, and the token carries it in <c>x5c</c>). It grants whatever repository scope is asked, to
/// anyone or only to one Basic user.
/// </summary>
internal sealed class TokenServer : IDisposable
{
    public const string Service = "imagecache-test";
    public const string Issuer = "imagecache-test-issuer";

    readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    readonly X509Certificate2 certificate;
    readonly HttpListener listener = new();
    readonly Task loop;
    readonly (string User, string Password)? required;
    int requests;

    public TokenServer((string User, string Password)? requiredCredential = null)
    {
        required = requiredCredential;
        var request = new CertificateRequest("CN=imagecache test token issuer", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var port = RegistryServer.FreePort();
        Realm = $"http://127.0.0.1:{port}/token";
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    public string Realm { get; }

    /// <summary>Token requests answered so far (granted or not).</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>
    /// How far behind the real time this service's clock runs: its responses carry an <c>issued_at</c> that far in the
    /// past (the tokens themselves stay valid: the registry checks their <c>exp</c> against its own, correct clock).
    /// </summary>
    public TimeSpan ClockBehind { get; set; }

    /// <summary>Whether each request carried Basic credentials.</summary>
    public List<bool> SawCredentials { get; } = [];

    /// <summary>The registry's <c>auth:</c> config section; the certificate is written to <paramref name="directory"/>.</summary>
    public string RegistryConfig(string directory)
    {
        var bundle = Path.Combine(directory, "token-root.pem");
        File.WriteAllText(bundle, certificate.ExportCertificatePem());
        return $"""
            auth:
              token:
                realm: {Realm}
                service: {Service}
                issuer: {Issuer}
                rootcertbundle: {bundle}
            """;
    }

    /// <summary>A token granting pull and push on <paramref name="repository"/> (for the test's own pushes).</summary>
    public string Mint(string repository, params string[] actions) => Sign(repository is null ? [] : [(repository, actions)]);

    string Sign(IEnumerable<(string Repository, string[] Actions)> access)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData)) };
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = "tester", ["aud"] = Service, ["exp"] = now + 600, ["nbf"] = now - 60, ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = new JsonArray([.. access.Select(a => (JsonNode)new JsonObject
            {
                ["type"] = "repository", ["name"] = a.Repository, ["actions"] = new JsonArray([.. a.Actions.Select(x => JsonValue.Create(x))]),
            })]),
        };
        var signingInput = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + B64(signature);
    }

    async Task AcceptAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Answer(context); }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
        }
    }

    void Answer(HttpListenerContext context)
    {
        var number = Interlocked.Increment(ref requests);
        var authorization = context.Request.Headers["Authorization"];
        lock (SawCredentials) SawCredentials.Add(authorization is not null);
        var response = context.Response;
        if (required is { } credential)
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.User}:{credential.Password}"));
            if (authorization != expected)
            {
                response.StatusCode = 401;
                response.Close();
                return;
            }
        }
        var access = (context.Request.QueryString.GetValues("scope") ?? [])
            .Select(scope => scope.Split(':'))
            .Where(parts => parts.Length == 3 && parts[0] == "repository")
            .Select(parts => (parts[1], parts[2].Split(',')));
        var token = Sign(access);
        // Alternate the two field names a token service may use (token.md: treat them as equal).
        var body = number % 2 == 1
            ? new JsonObject { ["token"] = token, ["expires_in"] = 300 }
            : new JsonObject { ["access_token"] = token, ["expires_in"] = 300 };
        if (ClockBehind > TimeSpan.Zero) body["issued_at"] = (DateTimeOffset.UtcNow - ClockBehind).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    public void Dispose()
    {
        // Close alone: Stop then Close makes the managed HttpListener look the port up again, and it binds it anew
        // ("Address already in use" when another test took the port in between).
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        certificate.Dispose();
        key.Dispose();
    }
}
