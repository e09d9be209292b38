using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageCache.Contracts;

namespace ImageCache.Fetchers.Registry;

/// <summary>
/// OCI artifacts in a registry repository over <see cref="RegistryClient"/> (same authentication, retries, redirects
/// and credential handling as pulls): manifest GET, resumable verified blob downloads, and the push side of the
/// distribution spec: HEAD to skip blobs the repository has, POST then a monolithic PUT (or PATCH chunks then PUT for
/// blobs over <see cref="RegistryFetcherOptions.UploadChunkBytes"/>), manifest PUT, and the subject link.
/// </summary>
internal sealed class RegistryArtifactRegistry : IArtifactRegistry, IDisposable
{
    /// <summary>The referrers tag fallback's index type and the manifest type we push (image-spec manifest.md, distribution-spec "referrers tag schema").</summary>
    const string OciIndex = "application/vnd.oci.image.index.v1+json";

    static readonly string[] ManifestAccept = [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList];

    readonly RegistryFetcherOptions _options;
    readonly CredentialStore _credentials;
    readonly ConcurrentDictionary<string, RegistryClient.CachedAuthorization> _authorizations = new(StringComparer.Ordinal);
    readonly Lazy<HttpClient> _verified = new(() => RegistryFetcher.CreateClient(verifyCertificates: true));
    readonly Lazy<HttpClient> _unverified = new(() => RegistryFetcher.CreateClient(verifyCertificates: false));

    public RegistryArtifactRegistry() : this(new RegistryFetcherOptions()) { }

    internal RegistryArtifactRegistry(RegistryFetcherOptions options)
    {
        _options = options;
        _credentials = new CredentialStore(options);
    }

    (RegistryReference Reference, RegistryClient Client) Connect(string repository, bool insecure, bool push)
    {
        var reference = RegistryReference.Parse(repository.StartsWith("docker://", StringComparison.Ordinal) ? repository["docker://".Length..] : repository);
        if (reference.Digest is not null || repository[(repository.LastIndexOf('/') + 1)..].Contains(':'))
            throw new ImageSourceException($"'{Digests.Printable(repository)}' names a tag or digest; give the cache as a repository (HOST/NAME)");
        var http = insecure && !reference.IsLoopback ? _unverified : _verified;
        return (reference, new RegistryClient(reference, insecure, http, _options, _credentials, _authorizations, push));
    }

    public async Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, bool insecure, CancellationToken cancellationToken)
    {
        var (name, client) = Connect(repository, insecure, push: false);
        return await ReadManifestAsync(name, client, reference, cancellationToken).ConfigureAwait(false);
    }

    static async Task<ArtifactManifest?> ReadManifestAsync(RegistryReference name, RegistryClient client, string reference, CancellationToken cancellationToken)
    {
        var what = $"{name.Name}: manifest {reference}";
        // Buffered within the retries, like the image fetcher's manifests: a body cut mid-read is asked for again.
        using var response = await client.GetDocumentAsync(client.RepositoryUri($"manifests/{reference}"), what, message =>
        {
            foreach (var type in ManifestAccept) message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }, ImageDocuments.MaxJsonBytes, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (response.StatusCode != HttpStatusCode.OK) throw await FailureAsync(response, what, cancellationToken).ConfigureAwait(false);
        var bytes = await RegistryClient.ReadBoundedAsync(response, ImageDocuments.MaxJsonBytes, what, cancellationToken).ConfigureAwait(false);
        var digest = Digests.Compute(bytes, reference.StartsWith("sha512:", StringComparison.Ordinal) ? reference : "sha256:");
        if (Digests.IsValid(reference) && digest != reference)
            throw new ImageSourceException($"{what}: digest mismatch: got {digest}");
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault()?.Trim() is { Length: > 0 } header
            && Digests.IsValid(header) && Digests.Compute(bytes, header) != header)
            throw new ImageSourceException($"{what}: digest mismatch: the registry's Docker-Content-Digest says {header}, the content is {Digests.Compute(bytes, header)}");
        using var document = Json.Parse(bytes, what);
        var mediaType = Json.String(document.RootElement, "mediaType") ?? response.Content.Headers.ContentType?.MediaType ?? MediaTypes.OciManifest;
        return new ArtifactManifest(digest, mediaType, bytes);
    }

    public async Task DownloadBlobAsync(string repository, string digest, long size, bool insecure, Stream destination,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        Digests.Require(digest, $"{repository}: blob");
        var (name, client) = Connect(repository, insecure, push: false);
        var what = $"{name.Name}: blob {digest}";
        await using var download = new ResumableDownloadStream(async (offset, token) =>
        {
            var response = await client.GetAsync(client.RepositoryUri($"blobs/{digest}"), what, message =>
            {
                if (offset > 0) message.Headers.Range = new RangeHeaderValue(offset, null);
            }, token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent) return response;
            using (response) throw await FailureAsync(response, what, token).ConfigureAwait(false);
        }, size, what, _options);
        await using var counted = new ProgressStream(download, digest, size, progress);
        using var hash = digest.StartsWith("sha512:", StringComparison.Ordinal) ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await counted.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > size) throw new ImageSourceException($"{what}: size mismatch: more than the {size} bytes its descriptor gives");
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        if (total != size) throw new ImageSourceException($"{what}: size mismatch: expected {size} bytes, got {total}");
        var actual = digest[..(digest.IndexOf(':') + 1)] + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != digest) throw new ImageSourceException($"{what}: digest mismatch: the content is {actual}");
    }

    public async Task<ArtifactPushResult> PushAsync(ArtifactPush push, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(push);
        var (name, client) = Connect(push.Repository, push.Insecure, push: true);
        int uploaded = 0, skipped = 0;
        foreach (var blob in push.Blobs)
        {
            if (await UploadBlobAsync(name, client, blob, push.Progress, cancellationToken).ConfigureAwait(false)) uploaded++;
            else skipped++;
        }

        var manifestDigest = Digests.Compute(push.Manifest, "sha256:");
        var supportsReferrers = await PutManifestAsync(name, client, manifestDigest, push.Manifest, push.MediaType, cancellationToken).ConfigureAwait(false);
        foreach (var tag in push.Tags)
            await PutManifestAsync(name, client, tag, push.Manifest, push.MediaType, cancellationToken).ConfigureAwait(false);

        var link = "";
        using (var document = Json.Parse(push.Manifest, "the artifact manifest"))
        {
            if (Json.Property(document.RootElement, "subject", JsonValueKind.Object) is { } subject)
            {
                link = supportsReferrers ? "referrers-api" : "tag-fallback";
                if (!supportsReferrers)
                {
                    var subjectDigest = Digests.Require(Json.String(subject, "digest"), "the artifact's subject");
                    await AddToReferrersTagAsync(name, client, subjectDigest, manifestDigest, push, document.RootElement, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        return new ArtifactPushResult(manifestDigest, uploaded, skipped, link);
    }

    /// <summary>Sends a blob unless the repository has it; true when it was sent.</summary>
    async Task<bool> UploadBlobAsync(RegistryReference name, RegistryClient client, ArtifactBlob blob, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var what = $"{name.Name}: upload of {blob.Digest}";
        using (var head = await client.SendAsync(HttpMethod.Head, client.RepositoryUri($"blobs/{blob.Digest}"), what, null, null, cancellationToken).ConfigureAwait(false))
        {
            if (head.StatusCode == HttpStatusCode.OK)
            {
                progress?.Report(new TransferProgress(blob.Digest, blob.Size, blob.Size, Reused: true));
                return false;
            }
        }

        Uri location;
        using (var start = await client.SendAsync(HttpMethod.Post, client.RepositoryUri("blobs/uploads/"), what, null, () => null, cancellationToken).ConfigureAwait(false))
        {
            if (start.StatusCode != HttpStatusCode.Accepted) throw await FailureAsync(start, what, cancellationToken).ConfigureAwait(false);
            location = UploadLocation(client, start, what);
        }

        await using var content = await blob.Open(cancellationToken).ConfigureAwait(false);
        var chunk = Math.Max(1, _options.UploadChunkBytes);
        if (blob.Size > chunk)
        {
            // Chunked (distribution-spec "pushing a blob in chunks"): PATCH with Content-Range, each to the Location the last answer gave.
            var buffer = new byte[chunk];
            long offset = 0;
            while (offset < blob.Size)
            {
                var length = await content.ReadAtLeastAsync(buffer, (int)Math.Min(chunk, blob.Size - offset), throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (length == 0) throw new ImageSourceException($"{what}: the local file ended after {offset} of {blob.Size} bytes");
                var start = offset;
                using var patch = await client.SendAsync(HttpMethod.Patch, location, what, null, () =>
                {
                    var body = new ByteArrayContent(buffer, 0, length);
                    body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    body.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                    return body;
                }, cancellationToken).ConfigureAwait(false);
                if (patch.StatusCode != HttpStatusCode.Accepted) throw await FailureAsync(patch, $"{what} (chunk at byte {start})", cancellationToken).ConfigureAwait(false);
                location = UploadLocation(client, patch, what);
                offset += length;
                progress?.Report(new TransferProgress(blob.Digest, offset, blob.Size, Reused: false));
            }
            using var close = await client.SendAsync(HttpMethod.Put, WithDigest(location, blob.Digest), what, null, () => new ByteArrayContent([]), cancellationToken).ConfigureAwait(false);
            if (close.StatusCode != HttpStatusCode.Created) throw await FailureAsync(close, what, cancellationToken).ConfigureAwait(false);
            return true;
        }

        // Monolithic: one PUT carrying the whole blob; a retry reopens the content.
        var first = true;
        using var put = await client.SendAsync(HttpMethod.Put, WithDigest(location, blob.Digest), what, null, () =>
        {
            var stream = first ? content : blob.Open(cancellationToken).AsTask().GetAwaiter().GetResult();
            first = false;
            var body = new StreamContent(new ProgressStream(stream, blob.Digest, blob.Size, progress));
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Headers.ContentLength = blob.Size;
            return body;
        }, cancellationToken).ConfigureAwait(false);
        if (put.StatusCode != HttpStatusCode.Created) throw await FailureAsync(put, what, cancellationToken).ConfigureAwait(false);
        return true;
    }

    static Uri UploadLocation(RegistryClient client, HttpResponseMessage response, string what)
    {
        if (response.Headers.Location is not { } location) throw new ImageSourceException($"{what}: the registry gave no upload Location");
        return location.IsAbsoluteUri ? location : new Uri(client.BaseUri, location);
    }

    static Uri WithDigest(Uri location, string digest) =>
        new UriBuilder(location) { Query = (location.Query.Length > 1 ? location.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(digest) }.Uri;

    /// <summary>PUTs a manifest; true when the registry answered with <c>OCI-Subject</c> (it indexes referrers itself).</summary>
    static async Task<bool> PutManifestAsync(RegistryReference name, RegistryClient client, string reference, byte[] manifest, string mediaType, CancellationToken cancellationToken)
    {
        var what = $"{name.Name}: manifest PUT {reference}";
        using var response = await client.SendAsync(HttpMethod.Put, client.RepositoryUri($"manifests/{reference}"), what, null, () =>
        {
            var body = new ByteArrayContent(manifest);
            body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return body;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created) throw await FailureAsync(response, what, cancellationToken).ConfigureAwait(false);
        return response.Headers.Contains("OCI-Subject");
    }

    /// <summary>
    /// The referrers tag schema (distribution-spec): the tag <c>&lt;alg&gt;-&lt;hex&gt;</c> of the subject holds an OCI index
    /// of its referrers; ours is added unless present. Two hosts updating it at once may drop one entry; both name the
    /// same bytes when they race on one content key, and the content-key tag is what lookups use.
    /// </summary>
    static async Task AddToReferrersTagAsync(RegistryReference name, RegistryClient client, string subjectDigest, string manifestDigest,
        ArtifactPush push, JsonElement manifest, CancellationToken cancellationToken)
    {
        var tag = subjectDigest.Replace(':', '-');
        var existing = await ReadManifestAsync(name, client, tag, cancellationToken).ConfigureAwait(false);
        var index = existing is not null && JsonNode.Parse(existing.Content) is JsonObject parsed && parsed["manifests"] is JsonArray
            ? parsed
            : new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciIndex, ["manifests"] = new JsonArray() };
        var entries = (JsonArray)index["manifests"]!;
        if (entries.Any(e => e?["digest"]?.GetValue<string>() == manifestDigest)) return;
        var entry = new JsonObject { ["mediaType"] = push.MediaType, ["digest"] = manifestDigest, ["size"] = push.Manifest.Length };
        if (Json.String(manifest, "artifactType") is { } artifactType) entry["artifactType"] = artifactType;
        if (Json.Property(manifest, "annotations", JsonValueKind.Object) is { } annotations) entry["annotations"] = JsonNode.Parse(annotations.GetRawText());
        entries.Add(entry);
        await PutManifestAsync(name, client, tag, System.Text.Encoding.UTF8.GetBytes(index.ToJsonString()), OciIndex, cancellationToken).ConfigureAwait(false);
    }

    static async Task<ImageSourceException> FailureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var detail = await RegistryClient.ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        return status == 403
            ? new ImageSourceException($"access denied: {what}{detail}")
            : new ImageSourceException($"{what}: the registry answered HTTP {status} {response.ReasonPhrase}{detail}");
    }

    public void Dispose()
    {
        if (_verified.IsValueCreated) _verified.Value.Dispose();
        if (_unverified.IsValueCreated) _unverified.Value.Dispose();
    }
}
