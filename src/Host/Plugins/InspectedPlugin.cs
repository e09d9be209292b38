using Microsoft.Extensions.DependencyInjection;

namespace ImageCache.Host.Plugins;

/// <summary>A plugin that passed validation on its own, before key clashes with other plugins are checked.</summary>
internal sealed record InspectedPlugin(
    string Name,
    string AssemblyPath,
    IReadOnlyList<string> EntryPoints,
    IReadOnlyList<ServiceDescriptor> SupportingServices,
    IReadOnlyList<(ServiceDescriptor Descriptor, FetcherDescriptor Fetcher)> Fetchers,
    IReadOnlyList<(ServiceDescriptor Descriptor, BuilderDescriptor Builder)> Builders);
