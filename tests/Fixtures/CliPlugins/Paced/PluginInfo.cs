using ImageCache.Contracts;

[assembly: ImageCachePlugin(PluginContract.Version)]
