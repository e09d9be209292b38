using LanguageExt;
using LanguageExt.ClassInstances;

namespace ImageCache.Core;

/// <summary>The parts of an OCI image config a VM launcher needs (beyond env, entrypoint and cmd, which records keep at top level).</summary>
/// <param name="User">The <c>User</c> field, e.g. <c>1000:1000</c>.</param>
/// <param name="WorkingDir">The working directory.</param>
/// <param name="StopSignal">The stop signal, e.g. <c>SIGTERM</c>.</param>
/// <param name="Labels">Image labels, ordinal order.</param>
/// <param name="ExposedPorts">Exposed ports, sorted, e.g. <c>80/tcp</c>.</param>
/// <param name="Volumes">Volume paths, sorted.</param>
public sealed record ImageConfig(
    string User,
    string WorkingDir,
    string StopSignal,
    Map<OrdStringOrdinal, string, string> Labels,
    Seq<string> ExposedPorts,
    Seq<string> Volumes)
{
    /// <summary>A config with nothing set.</summary>
    public static readonly ImageConfig Empty = new("", "", "", Map<OrdStringOrdinal, string, string>.Empty, Seq<string>.Empty, Seq<string>.Empty);
}
