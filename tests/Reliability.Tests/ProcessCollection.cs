namespace ImageCache.Reliability.Tests;

/// <summary>The suites that start many CLI processes or mount a file system run one at a time: the machine has two cores.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "CLI processes";
}
