using ImageCache.Contracts;

// States the contract version this plugin was compiled against; the host refuses a plugin built for another one.
[assembly: ImageCachePlugin(PluginContract.Version)]
