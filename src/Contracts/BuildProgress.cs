namespace ImageCache.Contracts;

/// <summary>Progress of a build.</summary>
/// <param name="Phase">A short phase name, e.g. <c>writing</c>, <c>journal</c>, <c>fsck</c>.</param>
/// <param name="EntriesWritten">Entries written so far.</param>
public sealed record BuildProgress(string Phase, long EntriesWritten);
