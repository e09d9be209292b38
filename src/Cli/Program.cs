using ImageCache.Cli;

return await CommandLineApp.RunAsync(args, CliEnvironment.FromConsole()).ConfigureAwait(false);
