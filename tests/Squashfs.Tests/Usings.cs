global using Xunit;
global using ImageCache.Contracts;
