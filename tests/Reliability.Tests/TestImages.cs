using System.Text;
using ImageCache.Builders.Tests;

namespace ImageCache.Reliability.Tests;

/// <summary>Small, distinct OCI layouts the stress and crash tests pull (<c>oci:DIR:test</c>).</summary>
internal static class TestImages
{
    /// <summary>
    /// <paramref name="distinct"/> different images plus, for each, an identical copy in another directory (same
    /// manifest digest, same content key, different reference). Returns the sources, originals first.
    /// </summary>
    public static string[] Write(string root, int distinct, int filesEach = 20)
    {
        var sources = new List<string>();
        for (var copy = 0; copy < 2; copy++)
            for (var i = 0; i < distinct; i++)
            {
                var tar = new LayerTar().Dir("./").Dir("etc/").File("etc/image", $"image {i}\n").Dir("data/");
                for (var f = 0; f < filesEach; f++) tar.File($"data/f{f}", new string((char)('a' + (i + f) % 26), 200 + 37 * f + i));
                var second = new LayerTar().File("etc/second", Encoding.UTF8.GetString(new byte[64].Select((_, k) => (byte)('0' + (i * 7 + k) % 10)).ToArray())).Finish();
                var dir = OciImage.Write(Path.Combine(root, $"img{i}-{(copy == 0 ? "a" : "b")}"), tar.Finish(), second);
                sources.Add($"oci:{dir}:{OciImage.Tag}");
            }
        return [.. sources];
    }
}
