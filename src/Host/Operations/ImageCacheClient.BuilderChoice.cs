using ImageCache.Core.Planning;
using ImageCache.Host.Plugins;
using LanguageExt;

namespace ImageCache.Host.Operations;

public sealed partial class ImageCacheClient
{
    /// <summary>
    /// The builder for a pull: probes the host for the tools the offered builders need and lets the pure planner
    /// decide (<c>--builder</c>, else <c>--format</c>, else ext4). A refusal says what is missing.
    /// </summary>
    static BuilderDescriptor ChooseBuilder(PluginRegistry registry, string? name, string? format)
    {
        var offers = Prelude.toSeq(registry.Builders.Select(b =>
            new BuilderOffer(b.Name, b.Format, Prelude.toSeq(b.RequiredTools).Strict(), Prelude.toSeq(b.HostOperatingSystems).Strict())).ToArray());
        var facts = HostProbe.Probe(registry.Builders.SelectMany(b => b.RequiredTools));
        var chosen = BuilderPlanner.Choose(facts, offers, BuilderWish.From(name, format))
            .Match(offer => offer, error => throw ImageCacheException.From(error));
        return registry.FindBuilder(chosen.Name)!;
    }
}
