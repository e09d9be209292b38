using CsCheck;
using ImageCache.Core;
using LanguageExt;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests;

public class RecordOrderTests
{
    [Fact]
    public void Records_sort_by_image_ref_then_architecture_then_digest()
    {
        var a = Baseline("alpine", "/p1", DigestB, Arm64);
        var b = Baseline("busybox", "/p2", DigestB, Arm64);
        var c = Baseline("busybox", "/p3", DigestA, Amd64);
        var d = Baseline("busybox", "/p4", DigestB, Amd64);
        Assert.Equal(new[] { a, c, d, b }, RecordOrder.Sort(Seq(b, d, a, c)).ToArray());
    }

    [Fact]
    public void Sorting_uses_ordinal_comparison()
    {
        var upper = Baseline("Zed", "/p1");
        var lower = Baseline("alpha", "/p2");
        Assert.Equal(new[] { upper, lower }, RecordOrder.Sort(Seq(lower, upper)).ToArray());
    }

    [Fact]
    public void Sorting_an_index_does_not_depend_on_the_input_order() =>
        Gens.Index.SelectMany(index => Gen.Shuffle(index.Images.ToArray()).Select(shuffled => (index, shuffled)))
            .Sample(t => Assert.Equal(t.index.Images, RecordOrder.Sort(toSeq(t.shuffled))));
}
