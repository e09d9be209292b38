using System.Diagnostics;
using ImageCache.Contracts;
using Newtonsoft.Json;

namespace ImageCache.Fixtures.NewtonsoftTwelve;

/// <summary>Writes, serialised with Newtonsoft.Json itself, which Newtonsoft.Json this plugin got.</summary>
[Builder("json12", "json")]
public sealed class JsonVersionBuilder : IFilesystemBuilder
{
    public async Task<BuildResult> BuildAsync(BuildRequest request, IAsyncEnumerable<FilesystemEntry> entries, CancellationToken cancellationToken)
    {
        var assembly = typeof(JsonConvert).Assembly;
        var report = JsonConvert.SerializeObject(new
        {
            assemblyVersion = assembly.GetName().Version!.ToString(),
            fileVersion = FileVersionInfo.GetVersionInfo(assembly.Location).FileVersion,
            location = assembly.Location,
        });
        await File.WriteAllTextAsync(request.OutputPath, report, cancellationToken);
        return new BuildResult(report.Length, 0);
    }
}
