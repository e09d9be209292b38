using System.Diagnostics;
using ImageCache.Bench.Ext4;
using ImageCache.Builders.Ext4;
using ImageCache.Contracts;
using ImageCache.Core.Layers;
using LanguageExt;

// ext4-bench TAR OUTPUT [journal=false]: reads TAR's headers with the Host tar reader, merges them as one layer
// (Core LayerMerge, setuid kept so the image equals the tree), then streams every file's data from its place in the tar
// into the managed ext4 builder. Prints the phase times on stderr.
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: ext4-bench TAR OUTPUT [journal=false]");
    return 2;
}

var tarPath = args[0];
var output = args[1];
var options = new Dictionary<string, string>(StringComparer.Ordinal);
if (args.Length == 3)
{
    var pair = args[2].Split('=', 2);
    options[pair[0]] = pair.Length > 1 ? pair[1] : "";
}

var clock = Stopwatch.StartNew();
var (layer, offsets) = await TarIndex.ReadAsync(tarPath);
var read = clock.Elapsed;
var tree = LayerMerge.Apply(Prelude.Seq1(layer), MergeOptions.AllowSetuid).Match(t => t, e => throw new InvalidOperationException(e.Message));
var merged = clock.Elapsed;
using var tar = File.OpenHandle(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.None);
var request = new BuildRequest(output, null, "sha256:bench", tree.RegularFileBytes, tree.EntryCount, options, null);
var result = await new Ext4Builder().BuildAsync(request, TarIndex.Entries(tree, tar, offsets), CancellationToken.None);
var built = clock.Elapsed;
Console.Error.WriteLine(
    $"entries {result.EntriesWritten}, image {result.SizeBytes >> 20} MiB; headers {read.TotalMilliseconds:F0} ms, merge {(merged - read).TotalMilliseconds:F0} ms, build {(built - merged).TotalMilliseconds:F0} ms");
return 0;
