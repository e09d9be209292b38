using System.Collections.Concurrent;
using System.Globalization;
using ImageCache.Contracts;
using ImageCache.Host.Operations;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ImageCache.Cli.Rendering;

/// <summary>
/// A pull's progress as live Spectre bars on a terminal's stderr: one per blob the fetcher transfers (bytes, rate),
/// then the build (entries written of the merged tree's), under a line naming the current phase. Reports arrive on
/// any thread; Spectre's tasks lock themselves.
/// </summary>
internal sealed class TerminalPullProgress : IProgress<string>, IProgress<TransferProgress>, IProgress<BuildProgress>, IProgress<PullBuildStarted>
{
    readonly IAnsiConsole console;
    readonly ProgressContext context;
    readonly ProgressTask phase;
    readonly ConcurrentDictionary<string, ProgressTask> transfers = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<int, string> buildTasks;
    readonly Lock buildLock = new();
    ProgressTask? build;
    string buildLabel = "build";

    TerminalPullProgress(IAnsiConsole console, ProgressContext context, ConcurrentDictionary<int, string> buildTasks)
    {
        this.console = console;
        this.context = context;
        this.buildTasks = buildTasks;
        phase = context.AddTask("starting", maxValue: 1);
        phase.IsIndeterminate = true;
    }

    /// <summary>Runs <paramref name="pull"/> under a live display on <paramref name="error"/> and returns its result.</summary>
    public static Task<T> RunAsync<T>(TextWriter error, Func<IProgress<string>, Task<T>> pull)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(error),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
        });
        var buildTasks = new ConcurrentDictionary<int, string>();
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new AmountColumn(buildTasks), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var display = new TerminalPullProgress(console, context, buildTasks);
                var result = await pull(display).ConfigureAwait(false);
                display.Finish();
                return result;
            });
    }

    /// <summary>A phase line: it becomes the top line; lines worth keeping (warnings, waits) are also printed above the bars.</summary>
    public void Report(string value)
    {
        if (value.StartsWith("stripped", StringComparison.Ordinal) || value.StartsWith("waiting", StringComparison.Ordinal))
            console.MarkupLine($"[yellow]imagecache:[/] {Markup.Escape(value)}");
        phase.Description = Markup.Escape(Shortened(value));
    }

    /// <summary>
    /// A phase line short enough for an 80-column terminal: the description column is as wide as its widest line,
    /// and a long one (a baseline's path) squeezes the bars and counts of every row out of the frame.
    /// </summary>
    static string Shortened(string text) => text.Length <= MaxPhaseWidth ? text : text[..(MaxPhaseWidth - 1)] + "…";

    const int MaxPhaseWidth = 40;

    public void Report(TransferProgress value)
    {
        var task = transfers.GetOrAdd(value.Digest, digest =>
            context.AddTask(Markup.Escape(ShortDigest(digest)), maxValue: Math.Max(1, value.Total ?? 1)));
        if (value.Total is null) task.IsIndeterminate = true;
        else task.MaxValue = Math.Max(1, value.Total.Value);
        if (value.Reused)
        {
            task.Description = Markup.Escape(ShortDigest(value.Digest) + " (in store)");
            task.Value = task.MaxValue;
        }
        else task.Value = value.Transferred;
        if (value.Total is { } total && value.Transferred >= total) task.StopTask();
    }

    public void Report(PullBuildStarted value)
    {
        lock (buildLock)
        {
            buildLabel = $"build {value.Format} ({value.Builder})";
            build = context.AddTask(Markup.Escape(buildLabel), maxValue: Math.Max(1, value.EntryCount));
            buildTasks[build.Id] = "entries";
        }
    }

    public void Report(BuildProgress value)
    {
        ProgressTask task;
        lock (buildLock)
        {
            // A builder that reports before (or without) the host's announcement still gets a bar.
            if (build is null)
            {
                build = context.AddTask(Markup.Escape(buildLabel), maxValue: Math.Max(1, value.EntriesWritten));
                buildTasks[build.Id] = "entries";
            }
            task = build;
        }
        task.Description = Markup.Escape($"{buildLabel}: {value.Phase}");
        task.Value = Math.Min(task.MaxValue, value.EntriesWritten);
    }

    void Finish()
    {
        lock (buildLock)
        {
            if (build is not null)
            {
                // The label alone: a longer description squeezes the count column out of an 80-column terminal's
                // last frame (the full bar says it is done).
                build.Description = Markup.Escape(buildLabel);
                build.Value = build.MaxValue;
                build.StopTask();
            }
        }
        foreach (var task in transfers.Values) task.StopTask();
        phase.IsIndeterminate = false;
        phase.Value = phase.MaxValue;
        phase.StopTask();
    }

    static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        var hex = colon >= 0 ? digest[(colon + 1)..] : digest;
        return "blob " + (hex.Length > 12 ? hex[..12] : hex);
    }

    /// <summary>Bytes done/total and the rate for transfers; entries done/total for the build.</summary>
    sealed class AmountColumn(ConcurrentDictionary<int, string> countTasks) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (countTasks.TryGetValue(task.Id, out var unit))
                return new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:0}/{task.MaxValue:0} {unit}"));
            if (task.IsIndeterminate && task.Value == 0) return Text.Empty;
            var rate = task.Speed is { } speed && !task.IsFinished ? $" {Bytes(speed)}/s" : "";
            return new Text($"{Bytes(task.Value)}/{Bytes(task.MaxValue)}{rate}");
        }

        static string Bytes(double value) => value switch
        {
            >= 1 << 30 => string.Create(CultureInfo.InvariantCulture, $"{value / (1 << 30):0.0} GiB"),
            >= 1 << 20 => string.Create(CultureInfo.InvariantCulture, $"{value / (1 << 20):0.0} MiB"),
            >= 1 << 10 => string.Create(CultureInfo.InvariantCulture, $"{value / (1 << 10):0.0} KiB"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{value:0} B"),
        };
    }
}
