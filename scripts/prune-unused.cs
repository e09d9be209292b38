#!/usr/bin/env -S dotnet run --file
// Removes the records of baselines unused for N days, deletes files no remaining record uses, and prints what was
// removed and how many bytes that freed (measured: the apparent sizes of the files under the state directory that
// existed before the prune and are gone after it).
//   dotnet run scripts/prune-unused.cs -- DAYS [--state-dir DIR]
// `imagecache prune --unused-for Nd` without --purge shows what would go. Needs the ImageCache packages in
// artifacts/packages: see docs/scripting.md.
#:package ImageCache.Host@0.1.0
#:property RestoreAdditionalProjectSources=$(MSBuildProjectDirectory)/../artifacts/packages
#:property PublishAot=false

using System.Globalization;
using ImageCache.Core;
using ImageCache.Host.Operations;
using LanguageExt;

if (OperatingSystem.IsWindows()) { Console.Error.WriteLine("error: ImageCache runs on Linux and macOS"); return 1; }

double? days = null;
string? stateDir = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--state-dir" when i + 1 < args.Length: stateDir = args[++i]; break;
        case var arg when days is null && double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0: days = parsed; break;
        default: Console.Error.WriteLine("usage: prune-unused.cs DAYS [--state-dir DIR]"); return 2;
    }
}
if (days is null) { Console.Error.WriteLine("usage: prune-unused.cs DAYS [--state-dir DIR]"); return 2; }

var client = new ImageCacheClient(new ImageCacheOptions { StateDir = stateDir });
var policy = new RetentionPolicy(Prelude.Some(TimeSpan.FromDays(days.Value)), Option<int>.None);
var before = Files(client.Layout.Root);
var result = await client.PruneAsync(purge: true, policy);
var freed = before.Where(file => !File.Exists(file.Key)).Sum(file => file.Value);
foreach (var record in result.Removed) Console.WriteLine($"removed {record.ImageRef} ({record.Platform})");
foreach (var record in result.Deleted) Console.WriteLine($"deleted {record.OutputPath}");
Console.WriteLine($"freed {freed} bytes");
return 0;

static Dictionary<string, long> Files(string root) =>
    Directory.Exists(root)
        ? new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .ToDictionary(f => f.FullName, f => f.Length, StringComparer.Ordinal)
        : [];
