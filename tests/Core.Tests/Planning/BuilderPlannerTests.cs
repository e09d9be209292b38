using CsCheck;
using ImageCache.Core;
using ImageCache.Core.Planning;
using LanguageExt;
using static ImageCache.Core.Tests.Support;
using static LanguageExt.Prelude;

namespace ImageCache.Core.Tests.Planning;

/// <summary>
/// The builder planner: examples for each rule and each refusal sentence, then properties over generated hosts,
/// offers and wishes drawn from small pools so that clashes (same format, missing tools, foreign OS) are common.
/// </summary>
public class BuilderPlannerTests
{
    static readonly BuilderOffer Ext4 = Offer("ext4", "ext4");
    static readonly BuilderOffer Mke2fs = Offer("mke2fs", "ext4", tools: ["mke2fs", "debugfs"], os: ["linux"]);
    static readonly BuilderOffer Squashfs = Offer("squashfs", "squashfs", tools: ["tar2sqfs"]);
    static readonly BuilderOffer Erofs = Offer("erofs", "erofs", tools: ["mkfs.erofs"], os: ["linux"]);
    static readonly Seq<BuilderOffer> FirstParty = Seq(Mke2fs, Squashfs, Ext4, Erofs);

    static BuilderOffer Offer(string name, string format, string[]? tools = null, string[]? os = null) =>
        new(name, format, toSeq(tools ?? []).Strict(), toSeq(os ?? []).Strict());

    static HostFacts Linux(params string[] tools) => new("linux", "amd64", toSeq(tools).Strict());

    static string Refusal(HostFacts facts, Seq<BuilderOffer> offers, BuilderWish wish)
    {
        var error = Fail(BuilderPlanner.Choose(facts, offers, wish));
        Assert.Equal(ErrorCodes.NoBuilder, error.Code);
        return error.Message;
    }

    [Fact]
    public void Nothing_asked_picks_the_managed_ext4_builder() =>
        Assert.Equal("ext4", Succ(BuilderPlanner.Choose(Linux("mke2fs", "debugfs", "tar2sqfs"), FirstParty, BuilderWish.Default)).Name);

    [Fact]
    public void Builder_option_overrides_the_default() =>
        Assert.Equal("mke2fs", Succ(BuilderPlanner.Choose(Linux("mke2fs", "debugfs"), FirstParty, BuilderWish.From("mke2fs", null))).Name);

    [Fact]
    public void Format_option_picks_a_builder_of_that_format() =>
        Assert.Equal("squashfs", Succ(BuilderPlanner.Choose(Linux("tar2sqfs"), FirstParty, BuilderWish.From(null, "squashfs"))).Name);

    [Fact]
    public void Format_falls_back_to_another_builder_of_that_format_when_the_one_named_after_it_cannot_run()
    {
        var offers = Seq(Offer("ext4", "ext4", tools: ["absent-tool"]), Mke2fs);
        Assert.Equal("mke2fs", Succ(BuilderPlanner.Choose(Linux("mke2fs", "debugfs"), offers, BuilderWish.Default)).Name);
    }

    [Fact]
    public void Refusal_names_both_missing_tools_and_says_neither_was_found() =>
        Assert.Equal("builder mke2fs needs mke2fs and debugfs on PATH; found neither",
            Refusal(Linux(), FirstParty, BuilderWish.From("mke2fs", null)));

    [Fact]
    public void Refusal_names_the_one_missing_tool_when_the_other_is_there() =>
        Assert.Equal("builder mke2fs needs mke2fs and debugfs on PATH; debugfs was not found",
            Refusal(Linux("mke2fs"), FirstParty, BuilderWish.From("mke2fs", null)));

    [Fact]
    public void Refusal_for_a_single_tool_says_it_was_not_found() =>
        Assert.Equal("no squashfs builder can run here: builder squashfs needs tar2sqfs on PATH; it was not found",
            Refusal(Linux(), FirstParty, BuilderWish.From(null, "squashfs")));

    [Fact]
    public void Refusal_names_the_operating_systems_a_builder_runs_on() =>
        Assert.Equal("builder erofs runs on linux only; this host is osx/arm64",
            Refusal(new HostFacts("osx", "arm64", toSeq(new[] { "mkfs.erofs" })), FirstParty, BuilderWish.From("erofs", null)));

    [Fact]
    public void Unknown_builder_is_refused_with_the_known_ones_listed() =>
        Assert.Equal("no builder named 'btrfs'; known builders: erofs, ext4, mke2fs, squashfs",
            Refusal(Linux(), FirstParty, BuilderWish.From("btrfs", null)));

    [Fact]
    public void Unknown_format_is_refused_with_the_known_formats_listed() =>
        Assert.Equal("no builder writes xfs; known formats: erofs, ext4, squashfs",
            Refusal(Linux(), FirstParty, BuilderWish.From(null, "xfs")));

    [Fact]
    public void Builder_and_format_that_disagree_are_refused() =>
        Assert.Equal("builder ext4 writes ext4, not squashfs",
            Refusal(Linux(), FirstParty, BuilderWish.From("ext4", "squashfs")));

    [Fact]
    public void Without_any_builder_the_refusal_says_no_plugin_provides_one() =>
        Assert.Equal("no builder writes ext4; known formats: (none; no plugin provides a builder)",
            Refusal(Linux(), LanguageExt.Seq<BuilderOffer>.Empty, BuilderWish.Default));

    [Fact]
    public void Blank_command_line_values_count_as_not_given() =>
        Assert.Equal(BuilderWish.Default, BuilderWish.From(" ", ""));

    // ----- properties ----------------------------------------------------------------------------------------

    static readonly string[] ToolPool = ["mke2fs", "debugfs", "tar2sqfs", "mkfs.erofs", "fsck.erofs"];
    static readonly string[] OsPool = ["linux", "osx", "windows"];
    static readonly string[] FormatPool = ["ext4", "squashfs", "erofs"];
    static readonly string[] NamePool = ["ext4", "mke2fs", "squashfs", "mksquashfs", "erofs", "zz-ext4"];

    static readonly Gen<Seq<string>> Subset = Gen.Bool.Array[ToolPool.Length]
        .Select(mask => toSeq(ToolPool.Where((_, i) => mask[i]).ToArray()));

    static readonly Gen<HostFacts> Facts =
        Gen.Select(Gen.OneOf(OsPool), Gen.OneOf("amd64", "arm64"), Subset, (os, arch, tools) => new HostFacts(os, arch, tools));

    static readonly Gen<(bool Offered, string Format, Seq<string> Tools, string[] Os)> OfferParts =
        Gen.Select(Gen.Bool, Gen.OneOf(FormatPool), Subset, Gen.OneOf(OsPool).Array[0, 2]);

    /// <summary>Offers with distinct names (plugin loading guarantees that), in a generated order.</summary>
    static readonly Gen<Seq<BuilderOffer>> Offers =
        OfferParts.Array[NamePool.Length]
            .Select(parts => parts
                .Select((p, i) => (p.Offered, Offer: new BuilderOffer(NamePool[i], p.Format, p.Tools, toSeq(p.Os.Distinct().ToArray()))))
                .Where(p => p.Offered).Select(p => p.Offer).ToArray())
            .SelectMany(offers => Gen.Shuffle(offers).Select(shuffled => toSeq(shuffled).Strict()));

    static readonly Gen<BuilderWish> Wishes =
        Gen.Select(Gen.OneOf(NamePool).Array[0, 1], Gen.OneOf(FormatPool).Array[0, 1],
            (name, format) => new BuilderWish(name.Length == 0 ? None : Some(name[0]), format.Length == 0 ? None : Some(format[0])));

    static bool Fits(BuilderOffer offer, BuilderWish wish) =>
        wish.Name.ForAll(n => n == offer.Name) &&
        (wish.Format.IsSome || wish.Name.IsSome ? wish.Format.ForAll(f => f == offer.Format) : offer.Format == BuilderPlanner.DefaultFormat);

    [Fact]
    public void A_chosen_builder_can_run_here_and_is_what_was_asked_for() =>
        Gen.Select(Facts, Offers, Wishes).Sample((facts, offers, wish) =>
            BuilderPlanner.Choose(facts, offers, wish).Match(
                chosen => offers.Contains(chosen) && BuilderPlanner.WhyNot(facts, chosen).IsNone && Fits(chosen, wish),
                _ => true));

    [Fact]
    public void When_a_fitting_builder_can_run_one_is_chosen() =>
        Gen.Select(Facts, Offers, Wishes).Sample((facts, offers, wish) =>
            !offers.Exists(o => Fits(o, wish) && BuilderPlanner.WhyNot(facts, o).IsNone) || BuilderPlanner.Choose(facts, offers, wish).IsSucc);

    [Fact]
    public void The_choice_does_not_depend_on_plugin_load_order() =>
        Gen.Select(Facts, Offers, Wishes).SelectMany(t => Gen.Shuffle(t.Item2.ToArray()).Select(shuffled => (t.Item1, t.Item2, t.Item3, toSeq(shuffled).Strict())))
            .Sample((facts, offers, wish, shuffled) =>
                BuilderPlanner.Choose(facts, offers, wish).Map(o => o.Name).IfFail(e => "error: " + e.Message) ==
                BuilderPlanner.Choose(facts, shuffled, wish).Map(o => o.Name).IfFail(e => "error: " + e.Message));

    [Fact]
    public void A_refused_named_builder_is_refused_naming_every_tool_it_lacks() =>
        Gen.Select(Facts, Offers.Where(offers => !offers.IsEmpty))
            .SelectMany((facts, offers) => Gen.OneOf(offers.ToArray()).Select(offer => (facts, offers, offer)))
            .Sample((facts, offers, offer) => RefusalExplains(facts, offer, BuilderPlanner.Choose(facts, offers, BuilderWish.From(offer.Name, null))));

    static bool RefusalExplains(HostFacts facts, BuilderOffer offer, Fin<BuilderOffer> outcome)
    {
        if (outcome.IsSucc) return BuilderPlanner.WhyNot(facts, offer).IsNone;
        var error = Fail(outcome);
        if (error.Code != ErrorCodes.NoBuilder) return false;
        var osFits = offer.HostOperatingSystems.IsEmpty || offer.HostOperatingSystems.Exists(os => os == facts.Os);
        if (!osFits) return error.Message.Contains($"this host is {facts.Os}/", StringComparison.Ordinal);
        return error.Message.StartsWith($"builder {offer.Name} needs ", StringComparison.Ordinal) &&
               offer.RequiredTools.Filter(t => !facts.HasTool(t)).ForAll(t => error.Message.Contains(t, StringComparison.Ordinal));
    }

    [Fact]
    public void The_default_is_the_builder_named_ext4_whenever_it_can_run() =>
        Gen.Select(Facts, Offers).Sample((facts, offers) =>
            offers.Find(o => o.Name == "ext4" && o.Format == "ext4" && BuilderPlanner.WhyNot(facts, o).IsNone)
                .ForAll(_ => Succ(BuilderPlanner.Choose(facts, offers, BuilderWish.Default)).Name == "ext4"));
}
