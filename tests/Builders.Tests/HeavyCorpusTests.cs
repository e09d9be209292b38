namespace ImageCache.Builders.Tests;

/// <summary>The heavy corpus images (a 200 MiB file, 100,000 files in one directory), separate so they can be filtered (<c>Category=Heavy</c>).</summary>
[Trait("Category", "Heavy")]
public sealed class HeavyCorpusTests : IDisposable
{
    private readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string> Builders => new(Harness.Builders);

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task A_200_MiB_file_reads_back_as_umoci_unpacks_it(string builder)
    {
        var layout = _harness.Layout("big", new LayerTar().Dir("./").Dir("data/").BigFile("data/big", 200L << 20).File("data/after", "after\n").Finish());
        var image = await _harness.PullAsync(layout, builder);
        Tools.AssertChecksClean(image);
        var actual = _harness.ReadBack(image);
        FsTree.AssertEqual(_harness.Expected(layout), actual, $"{builder} vs umoci unpack");
        Assert.Equal(200L << 20, actual["data/big"].Size);
    }

    [Theory]
    [MemberData(nameof(Builders))]
    public async Task A_directory_of_100000_files_reads_back_as_umoci_unpacks_it(string builder)
    {
        var tar = new LayerTar().Dir("./").Dir("many/");
        for (var i = 0; i < 100_000; i++) tar.File($"many/file-{i:D6}", i % 7 == 0 ? $"{i}\n" : "");
        var layout = _harness.Layout("many", tar.Finish());
        if (builder == "mke2fs")
        {
            // mke2fs -d (e2fsprogs 1.47.0) is quadratic in a directory's size; the builder refuses rather than run for ages.
            var refusal = await Assert.ThrowsAnyAsync<Exception>(() => _harness.PullAsync(layout, builder));
            Assert.Contains("more than 20000 entries", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("use the ext4 builder", refusal.Message, StringComparison.Ordinal);
            return;
        }
        var image = await _harness.PullAsync(layout, builder);
        Tools.AssertChecksClean(image);
        var actual = _harness.ReadBack(image);
        FsTree.AssertEqual(_harness.Expected(layout), actual, $"{builder} vs umoci unpack");
        Assert.Equal(100_000, actual.Nodes.Keys.Count(k => k.StartsWith("many/", StringComparison.Ordinal)));
    }
}
