using System;
using LanguageExt;

namespace ImageCache.Core;

/// <summary>Which records a Prune may drop beyond those whose file is gone.</summary>
/// <param name="UnusedFor">Records not used for at least this long (by <c>last_used_at</c>; a record with none counts as never used).</param>
/// <param name="KeepLast">Always keep this many most recently used records per repository.</param>
/// <remarks>With both, a record goes only when it is old enough <b>and</b> not among the newest N. With neither, there is no policy: plain <c>prune</c> keeps every record whose file exists and <c>prune --purge</c> empties the store (the original's meaning).</remarks>
public sealed record RetentionPolicy(Option<TimeSpan> UnusedFor, Option<int> KeepLast)
{
    /// <summary>No policy.</summary>
    public static readonly RetentionPolicy None = new(Option<TimeSpan>.None, Option<int>.None);

    /// <summary>True when either limit is set.</summary>
    public bool IsSet => UnusedFor.IsSome || KeepLast.IsSome;
}
