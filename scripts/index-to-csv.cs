#!/usr/bin/env -S dotnet run --file
// Prints the image index as CSV on stdout, one row per record (RFC 4180 quoting).
//   dotnet run scripts/index-to-csv.cs -- [--state-dir DIR] > images.csv
// Needs the ImageCache packages in artifacts/packages: see docs/scripting.md.
#:package ImageCache.Host@0.1.0
#:property RestoreAdditionalProjectSources=$(MSBuildProjectDirectory)/../artifacts/packages
#:property PublishAot=false

using ImageCache.Host.Operations;

if (OperatingSystem.IsWindows()) { Console.Error.WriteLine("error: ImageCache runs on Linux and macOS"); return 1; }

string? stateDir = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--state-dir" && i + 1 < args.Length) stateDir = args[++i];
    else { Console.Error.WriteLine($"usage: index-to-csv.cs [--state-dir DIR] (unexpected '{args[i]}')"); return 2; }
}

var client = new ImageCacheClient(new ImageCacheOptions { StateDir = stateDir });
Console.WriteLine("image_ref,digest,platform,format,builder,size_bytes,created_at,last_used_at,output_path");
foreach (var record in await client.ListAsync())
{
    string[] fields =
    [
        record.ImageRef, record.Digest, record.Platform.ToString(), record.Format, record.Builder,
        record.SizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        record.CreatedAt.Match(t => t.ToString("O"), () => ""), record.LastUsedAt.Match(t => t.ToString("O"), () => ""),
        record.OutputPath,
    ];
    Console.WriteLine(string.Join(',', fields.Select(Csv)));
}
return 0;

static string Csv(string field) =>
    field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
