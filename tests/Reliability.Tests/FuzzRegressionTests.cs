using System.Text;
using System.Text.Json;
using ImageCache.Contracts;
using ImageCache.Fetchers.Shared;
using ImageCache.Host.Storage;

namespace ImageCache.Reliability.Tests;

/// <summary>Inputs the fuzzers (<see cref="FuzzTests"/>) found that once broke a parser: each stays here as a named test.</summary>
public sealed class FuzzRegressionTests
{
    static byte[] Bytes(params object[] parts) =>
        [.. parts.SelectMany(p => p is string s ? Encoding.UTF8.GetBytes(s) : (byte[])p)];

    /// <summary>Found in ImageDocuments.ParseIndex (seed fJ4KDxiSF3T1): an invalid UTF-8 byte in a string was an InvalidOperationException when read.</summary>
    [Fact]
    public void An_image_document_with_invalid_UTF8_in_a_string_is_a_clear_refusal()
    {
        var bytes = Bytes("{\"schemaVersion\":2,\"mediaType\":\"a", new byte[] { 0xE1 }, "\",\"manifests\":[]}");
        var error = Assert.Throws<ImageSourceException>(() => ImageDocuments.ParseIndex(bytes, "index", null));
        Assert.StartsWith("index is not valid JSON: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    /// <summary>The same class of input: a lone escaped UTF-16 surrogate in a value or a name.</summary>
    [Theory]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"\ud800"},"layers":[]}""")]
    [InlineData("""{"schemaVersion":2,"\udc00x":1,"config":{},"layers":[]}""")]
    public void An_image_document_with_a_lone_surrogate_is_a_clear_refusal(string json)
    {
        var error = Assert.Throws<ImageSourceException>(() => ImageDocuments.ParseManifest(Encoding.UTF8.GetBytes(json), "manifest", MediaTypes.OciManifest));
        Assert.StartsWith("manifest is not valid JSON: ", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Found in IndexJson.Deserialize (seed 3MVm9QirnC91): a lone surrogate in a top-level name was an InvalidOperationException, an "internal error" in the CLI.</summary>
    [Theory]
    [InlineData("""{"\ud800":null}""")]
    [InlineData("""{"images":[],"\udfff":1}""")]
    public void A_state_index_with_a_lone_surrogate_in_a_name_is_a_JSON_error(string json) =>
        Assert.Throws<JsonException>(() => IndexJson.Deserialize(Encoding.UTF8.GetBytes(json)));

    /// <summary>Through the CLI: such an index is one clear error naming the file, not an internal error.</summary>
    [Fact]
    public async Task The_CLI_reports_a_state_index_with_a_lone_surrogate_as_a_corrupt_index()
    {
        using var sandbox = new Sandbox();
        Directory.CreateDirectory(Path.Combine(sandbox.State, "images"));
        await File.WriteAllTextAsync(Path.Combine(sandbox.State, "images", "index.json"), """{"\ud800":null}""");
        var result = await sandbox.RunAsync("list");
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
        Assert.Contains("index.json", result.Error, StringComparison.Ordinal);
    }
}
