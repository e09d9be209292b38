global using Xunit;
global using ImageCache.Registry.Tests;
