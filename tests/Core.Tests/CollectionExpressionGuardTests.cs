using System.Text.RegularExpressions;

namespace ImageCache.Core.Tests;

/// <summary>
/// LanguageExt 4's <c>Seq</c>, <c>Map</c>, <c>Lst</c> and <c>HashMap</c> compile collection expressions into EMPTY
/// collections without a warning (style-anchors §5.1). Core is all LanguageExt types, so it must not contain any
/// target-typed collection expression: this test greps for the three shapes the guide names.
/// </summary>
public class CollectionExpressionGuardTests
{
    static readonly Regex CollectionExpression = new(@"(=|=>|\breturn)\s*\[", RegexOptions.Compiled);

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ImageCache.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no ImageCache.sln above {AppContext.BaseDirectory}");
    }

    static IEnumerable<string> CoreSources()
    {
        var core = Path.Combine(RepositoryRoot(), "src", "Core");
        return Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
    }

    /// <summary>Finds the shapes in a line of code, ignoring what follows <c>//</c>.</summary>
    static bool HasCollectionExpression(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        var code = comment >= 0 ? line[..comment] : line;
        return CollectionExpression.IsMatch(code);
    }

    [Theory]
    [InlineData("Seq<int> s = [1, 2];", true)]
    [InlineData("static Seq<int> F() => [x];", true)]
    [InlineData("return [..other];", true)]
    [InlineData("return[];", true)]
    [InlineData("var x = items[0];", false)]
    [InlineData("var y = text[..12];", false)]
    [InlineData("if (a == b) f();", false)]
    [InlineData("// x = [1]", false)]
    public void The_scanner_recognises_the_shapes(string line, bool expected) =>
        Assert.Equal(expected, HasCollectionExpression(line));

    [Fact]
    public void Core_sources_contain_no_collection_expressions()
    {
        var sources = CoreSources().ToArray();
        Assert.Contains(sources, f => f.EndsWith("Index.cs", StringComparison.Ordinal));
        var hits = sources
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line: i + 1, text: line)))
            .Where(l => HasCollectionExpression(l.text))
            .Select(l => $"{Path.GetRelativePath(RepositoryRoot(), l.file)}:{l.line}: {l.text.Trim()}")
            .ToArray();
        Assert.True(hits.Length == 0, "collection expressions in src/Core (they make EMPTY LanguageExt collections):\n" + string.Join('\n', hits));
    }
}
