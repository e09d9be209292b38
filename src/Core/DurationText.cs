using System;
using System.Diagnostics.Contracts;
using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace ImageCache.Core;

/// <summary>Durations as users type them: <c>90s</c>, <c>45m</c>, <c>12h</c>, <c>30d</c>, <c>2w</c>, or combined (<c>1d12h</c>).</summary>
public static class DurationText
{
    /// <summary>Parses a duration; a bare number is an error (the unit must be explicit).</summary>
    [Pure]
    public static Fin<TimeSpan> Parse(string input)
    {
        var text = input.Trim();
        if (text.Length == 0) return Invalid(input);
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == start || i == text.Length) return Invalid(input);
            if (!long.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 1_000_000)
                return Invalid(input);
            var unit = text[i++] switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                'w' => TimeSpan.FromDays(7),
                _ => TimeSpan.Zero,
            };
            if (unit == TimeSpan.Zero) return Invalid(input);
            // Each part fits (at most 1 000 000 weeks), but a sum of parts can overflow TimeSpan, which would throw.
            if (total > TimeSpan.MaxValue - unit * amount) return Invalid(input);
            total += unit * amount;
        }
        return FinSucc(total);
    }

    static Error Invalid(string input) =>
        Error.New(ErrorCodes.InvalidPolicy, $"invalid duration \"{CoreErrors.Printable(input)}\": use a number with a unit s, m, h, d or w, e.g. 30d or 1d12h");
}
