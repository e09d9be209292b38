using ImageCache.Cli;

EarlyWarmup.StartFor(args);
using var signals = TerminationSignals.Register(Console.Error);
return await CommandLineApp.RunAsync(args, CliEnvironment.FromConsole(), signals.Token, () => signals.ExitCode).ConfigureAwait(false);
