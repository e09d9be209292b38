using System.Diagnostics;
using ImageCache.Contracts;
using Newtonsoft.Json;

namespace ImageCache.Fixtures.NewtonsoftThirteen;

/// <summary>Reports, serialised with Newtonsoft.Json itself, which Newtonsoft.Json this plugin got.</summary>
[Fetcher("json13")]
public sealed class JsonVersionFetcher : IImageFetcher
{
    public Task<FetchedImage> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        var assembly = typeof(JsonConvert).Assembly;
        var report = JsonConvert.SerializeObject(new
        {
            assemblyVersion = assembly.GetName().Version!.ToString(),
            fileVersion = FileVersionInfo.GetVersionInfo(assembly.Location).FileVersion,
            location = assembly.Location,
        });
        return Task.FromResult(new FetchedImage(report, "", null, new PlatformSpec("linux", "amd64"), "", []));
    }
}
