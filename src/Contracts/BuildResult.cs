namespace ImageCache.Contracts;

/// <summary>What a builder wrote.</summary>
/// <param name="SizeBytes">Apparent size of the output file.</param>
/// <param name="EntriesWritten">How many entries it wrote.</param>
public sealed record BuildResult(long SizeBytes, long EntriesWritten);
