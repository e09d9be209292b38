using System;
using System.Linq;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Planning;

/// <summary>
/// Chooses the filesystem builder for a pull from probed host facts, the builders the plugins offer and what the
/// user asked for (DESIGN §6–§7). Pure: the host probes, this decides, and a refusal says what is missing.
/// </summary>
/// <remarks>
/// Rules: <c>--builder</c> names the builder outright (and must agree with <c>--format</c> when both are given);
/// otherwise the wanted format (default <see cref="DefaultFormat"/>) is written by the first builder that can run
/// here, trying the builder named like the format first (<c>ext4</c>, <c>squashfs</c>) and then the rest in
/// ordinal name order, so the choice never depends on plugin load order. A builder can run when the host OS is one
/// it declares (or it declares none) and every tool it requires is on <c>PATH</c>.
/// </remarks>
public static class BuilderPlanner
{
    /// <summary>The format built when the user asks for neither a builder nor a format.</summary>
    public const string DefaultFormat = "ext4";

    /// <summary>Picks the builder, or explains why none fits.</summary>
    public static Fin<BuilderOffer> Choose(HostFacts facts, Seq<BuilderOffer> offers, BuilderWish wish) =>
        wish.Name.Match(
            Some: name => ChooseByName(facts, offers, name, wish.Format),
            None: () => ChooseByFormat(facts, offers, wish.Format.IfNone(DefaultFormat)));

    /// <summary>Why <paramref name="offer"/> cannot run on this host, or None when it can.</summary>
    public static Option<string> WhyNot(HostFacts facts, BuilderOffer offer)
    {
        if (!offer.HostOperatingSystems.IsEmpty && !offer.HostOperatingSystems.Exists(os => string.Equals(os, facts.Os, StringComparison.Ordinal)))
            return $"builder {offer.Name} runs on {Join(offer.HostOperatingSystems, "or")} only; this host is {facts.Os}/{facts.Architecture}";
        var missing = offer.RequiredTools.Filter(tool => !facts.HasTool(tool)).Strict();
        if (missing.IsEmpty) return None;
        var needs = $"builder {offer.Name} needs {Join(offer.RequiredTools, "and")} on PATH";
        var found = (offer.RequiredTools.Count, missing.Count) switch
        {
            (1, _) => "it was not found",
            (2, 2) => "found neither",
            (var all, var gone) when all == gone => "found none of them",
            _ => $"{Join(missing, "and")} {(missing.Count == 1 ? "was" : "were")} not found",
        };
        return $"{needs}; {found}";
    }

    static Fin<BuilderOffer> ChooseByName(HostFacts facts, Seq<BuilderOffer> offers, string name, Option<string> format)
    {
        var found = offers.Find(o => string.Equals(o.Name, name, StringComparison.Ordinal));
        if (found.IsNone)
            return NoBuilder($"no builder named '{name}'; known builders: {Known(offers.Map(o => o.Name))}");
        var offer = (BuilderOffer)found;
        if (format.Exists(f => !string.Equals(f, offer.Format, StringComparison.Ordinal)))
            return NoBuilder($"builder {offer.Name} writes {offer.Format}, not {(string)format}");
        return WhyNot(facts, offer).Match(Some: reason => NoBuilder(reason), None: () => FinSucc(offer));
    }

    static Fin<BuilderOffer> ChooseByFormat(HostFacts facts, Seq<BuilderOffer> offers, string format)
    {
        var candidates = offers
            .Filter(o => string.Equals(o.Format, format, StringComparison.Ordinal))
            .OrderBy(o => string.Equals(o.Name, format, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(o => o.Name, StringComparer.Ordinal)
            .ToArray();
        if (candidates.Length == 0)
            return NoBuilder($"no builder writes {format}; known formats: {Known(offers.Map(o => o.Format))}");
        foreach (var candidate in candidates)
            if (WhyNot(facts, candidate).IsNone) return candidate;
        var reasons = candidates.Select(c => (string)WhyNot(facts, c));
        return NoBuilder($"no {format} builder can run here: {string.Join("; ", reasons)}");
    }

    static Error NoBuilder(string message) => Error.New(ErrorCodes.NoBuilder, message);

    static string Known(Seq<string> keys)
    {
        var sorted = keys.Distinct().OrderBy(k => k, StringComparer.Ordinal).ToArray();
        return sorted.Length == 0 ? "(none; no plugin provides a builder)" : string.Join(", ", sorted);
    }

    /// <summary><c>a</c>, <c>a and b</c>, <c>a, b and c</c>.</summary>
    static string Join(Seq<string> items, string conjunction) => items.Count switch
    {
        0 => "",
        1 => items.Head,
        _ => $"{string.Join(", ", items.Init)} {conjunction} {items.Last}",
    };
}
