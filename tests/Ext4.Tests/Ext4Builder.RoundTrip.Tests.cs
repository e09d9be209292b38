using CsCheck;
using static ImageCache.Ext4.Tests.Entries;

namespace ImageCache.Ext4.Tests;

/// <summary>Round trip: random trees written by the managed writer, checked by e2fsck, read back with debugfs rdump.</summary>
public sealed class Ext4BuilderRoundTripTests
{
    /// <summary>One generated item: a directory, a file (data with some zero blocks) or a symlink, under an earlier directory.</summary>
    private sealed record Item(int Kind, int Parent, int Length, int HolePattern, int Mode, int Seed);

    private static readonly Gen<Item> GenItem =
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1000], Gen.Int[0, 3].SelectMany(size => size switch
        {
            0 => Gen.Int[0, 10],
            1 => Gen.Int[1, 5000],
            2 => Gen.Int[4096, 40000],
            _ => Gen.Int[0, 4096 * 12],
        }), Gen.Int[0, 7], Gen.Int[0, 0xFFF], Gen.Int)
            .Select((kind, parent, length, holes, mode, seed) => new Item(kind, parent, length, holes, mode, seed));

    [Fact]
    public void Random_trees_check_clean_and_read_back()
    {
        GenItem.Array[1, 60].Sample(items =>
        {
            var entries = new List<FilesystemEntry> { Dir("") };
            var directories = new List<string> { "" };
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var links = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < items.Length; i++)
            {
                var item = items[i];
                var parent = directories[item.Parent % directories.Count];
                var path = (parent.Length == 0 ? "" : parent + "/") + $"e{i}-{(uint)item.Seed % 1000}";
                switch (item.Kind)
                {
                    case 0:
                        entries.Add(Dir(path, 0x1C0 | item.Mode)); // owner rwx, so rdump can fill it
                        directories.Add(path);
                        break;
                    case 1:
                        var data = Patterned(item.Length, block => ((block + item.Seed) & item.HolePattern) == 1);
                        entries.Add(File(path, data, 0x100 | item.Mode));
                        files[path] = data;
                        break;
                    default:
                        var target = new string('t', 1 + (int)((uint)item.Seed % 200));
                        entries.Add(Symlink(path, target));
                        links[path] = target;
                        break;
                }
            }

            using var dir = new TempDir();
            var image = dir.File("random.ext4");
            BuildAsync(image, entries).GetAwaiter().GetResult();
            E2fsTools.AssertClean(image);
            var root = Directory.CreateDirectory(dir.File("out")).FullName;
            var dump = E2fsTools.Run("debugfs", "-R", $"rdump / {root}", image);
            Assert.True(dump.ExitCode == 0, dump.ToString());
            foreach (var (path, data) in files)
                Assert.True(data.AsSpan().SequenceEqual(System.IO.File.ReadAllBytes(Path.Combine(root, path))), $"content of {path}");
            foreach (var (path, target) in links)
                Assert.Equal(target, new FileInfo(Path.Combine(root, path)).LinkTarget);
            foreach (var path in directories.Skip(1))
                Assert.True(Directory.Exists(Path.Combine(root, path)), path);
        }, iter: 25);
    }
}
