using System;

namespace ImageCache.Core;

/// <summary>A change to the index. Facts about the file system and the current time travel inside the command.</summary>
public abstract record IndexCommand
{
    IndexCommand() { }

    /// <summary>Adds the record, or replaces the one with the same canonical reference and platform.</summary>
    public sealed record Upsert(ImageRecord Record) : IndexCommand;

    /// <summary>Adds <paramref name="Target"/> as a new name for the records <paramref name="Source"/> names (one per platform).</summary>
    public sealed record Tag(string Source, string Target, DateTimeOffset Now) : IndexCommand;

    /// <summary>Drops the records <paramref name="Reference"/> names; with <paramref name="Purge"/> also deletes their baseline files when no kept record shares them.</summary>
    public sealed record Remove(string Reference, bool Purge, StoreFacts Facts) : IndexCommand;

    /// <summary>Drops records whose file is gone and, under a policy, records the policy selects; with <paramref name="Purge"/>, deletes the files of dropped records and orphan files.</summary>
    public sealed record Prune(bool Purge, StoreFacts Facts, DateTimeOffset Now, RetentionPolicy Policy) : IndexCommand;

    /// <summary>Marks the records <paramref name="Reference"/> names as used now.</summary>
    public sealed record Touch(string Reference, DateTimeOffset Now) : IndexCommand;
}
