using System.Runtime.InteropServices;

namespace ImageCache.Cli;

/// <summary>
/// Turns SIGINT (Ctrl-C) and SIGTERM into a cancellation of the running command instead of an immediate exit, so a
/// pull removes its temp files and publishes nothing; the process then exits 130 (SIGINT) or 143 (SIGTERM). A second
/// signal does not cut the clean-up short: it only says that it is still running.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    readonly CancellationTokenSource cancellation = new();
    readonly TextWriter error;
    readonly PosixSignalRegistration[] registrations;
    int exitCode;

    TerminationSignals(TextWriter error)
    {
        this.error = error;
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Handle(context, ExitCodes.Cancelled)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Handle(context, ExitCodes.Terminated)),
        ];
    }

    /// <summary>Starts handling the signals until disposed; notices go to <paramref name="error"/>.</summary>
    public static TerminationSignals Register(TextWriter error) => new(error);

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => cancellation.Token;

    /// <summary>The exit code the first signal calls for (130 when none came, for cancellations of other origin).</summary>
    public int ExitCode => Volatile.Read(ref exitCode) is var code and not 0 ? code : ExitCodes.Cancelled;

    void Handle(PosixSignalContext context, int code)
    {
        context.Cancel = true; // no default termination: the command unwinds and cleans up, then the process exits
        if (Interlocked.CompareExchange(ref exitCode, code, 0) == 0) cancellation.Cancel();
        else error.WriteLine("imagecache: still cleaning up after the interruption; it ends by itself in a moment");
    }

    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        cancellation.Dispose();
    }
}
