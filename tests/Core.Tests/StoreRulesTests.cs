using ImageCache.Core;
using static ImageCache.Core.Tests.Support;

namespace ImageCache.Core.Tests;

public class StoreRulesTests
{
    [Theory]
    [InlineData("/s/images/rootfs", "/s/images/rootfs/a.ext4", true)]
    [InlineData("/s/images/rootfs/", "/s/images/rootfs/a.ext4", true)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs/nested/a.ext4", true)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs", false)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs/", false)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs2/a.ext4", false)]
    [InlineData("/s/images/rootfs", "/s/images/a.ext4", false)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs/../a.ext4", false)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs/./a.ext4", false)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs//a.ext4", false)]
    [InlineData("/s/images/rootfs", "/s/images/rootfs/a/", false)]
    [InlineData("/s/images/rootfs", "s/images/rootfs/a.ext4", false)]
    [InlineData("s/images/rootfs", "s/images/rootfs/a.ext4", false)]
    [InlineData("", "/s/images/rootfs/a.ext4", false)]
    [InlineData("/s/images/rootfs", "", false)]
    [InlineData("/", "/a.ext4", true)]
    public void IsInsideStore_accepts_only_paths_strictly_below_the_store(string store, string path, bool expected) =>
        Assert.Equal(expected, StoreRules.IsInsideStore(store, path));

    [Fact]
    public void StoreFacts_treats_an_unreported_path_as_missing_and_outside()
    {
        var facts = Existing(StoreDir + "/a.ext4");
        Assert.Equal(new FileFact(StoreDir + "/a.ext4", true), facts.For(StoreDir + "/a.ext4"));
        Assert.True(facts.InStore(StoreDir + "/a.ext4"));
        Assert.Equal(new FileFact("", false), facts.For(StoreDir + "/b.ext4"));
        Assert.False(facts.InStore(StoreDir + "/b.ext4"));
        Assert.False(StoreFacts.None.InStore(StoreDir + "/a.ext4"));
    }
}
