namespace ImageCache.Fixtures.Good;

/// <summary>A supporting service only <see cref="GoodPlugin.Register"/> adds; the fetcher cannot be built without it.</summary>
public sealed class FixtureStamp
{
    public string Text => "stamped-by-register";
}
