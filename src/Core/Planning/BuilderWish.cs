using LanguageExt;

namespace ImageCache.Core.Planning;

/// <summary>What the user asked for: <c>--builder NAME</c> and/or <c>--format FORMAT</c>; neither means the default format.</summary>
/// <param name="Name">The requested builder, if any.</param>
/// <param name="Format">The requested filesystem format, if any.</param>
public sealed record BuilderWish(Option<string> Name, Option<string> Format)
{
    /// <summary>Nothing asked: the planner picks a builder of <see cref="BuilderPlanner.DefaultFormat"/>.</summary>
    public static readonly BuilderWish Default = new(Option<string>.None, Option<string>.None);

    /// <summary>Builds a wish from optional command-line values; empty or blank strings count as not given.</summary>
    public static BuilderWish From(string? name, string? format) =>
        new(Given(name), Given(format));

    static Option<string> Given(string? value) =>
        string.IsNullOrWhiteSpace(value) ? Option<string>.None : Prelude.Some(value.Trim());
}
