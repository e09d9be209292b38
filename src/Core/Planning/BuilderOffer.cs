using LanguageExt;

namespace ImageCache.Core.Planning;

/// <summary>A builder the loaded plugins offer, as its <c>[Builder]</c> attribute declares it.</summary>
/// <param name="Name">The builder key (<c>--builder</c>).</param>
/// <param name="Format">The filesystem format it writes (<c>--format</c>).</param>
/// <param name="RequiredTools">Programs it needs on <c>PATH</c>.</param>
/// <param name="HostOperatingSystems">Host operating systems it runs on; empty means any.</param>
public sealed record BuilderOffer(string Name, string Format, Seq<string> RequiredTools, Seq<string> HostOperatingSystems);
