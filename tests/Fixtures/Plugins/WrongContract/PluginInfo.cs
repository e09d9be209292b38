using ImageCache.Contracts;

// Simulates a plugin built against a future contract the host does not implement.
[assembly: ImageCachePlugin(99)]
