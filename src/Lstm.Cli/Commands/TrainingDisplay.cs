using Lstm.IO;
using Lstm.Training;
using ScottPlot;
using Spectre.Console;

namespace Lstm.Cli.Commands;

/// <summary>
/// What <c>lstm train</c> shows while it trains: a progress line every report interval and, when stderr is a terminal,
/// a live progress bar with tokens/s and ETA there; and the curves for <c>--plot</c>.
/// </summary>
internal sealed class TrainingDisplay
{
    private readonly List<(double Step, double Perplexity)> _train = [], _validation = [];
    private readonly bool _bar = !Console.IsErrorRedirected;
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Prints a line: above the live bar when both share the terminal, else on stdout.</summary>
    public void Print(string line)
    {
        if (_bar && !Console.IsOutputRedirected)
            _console.WriteLine(line);
        else
            Console.WriteLine(line);
    }

    /// <summary>Runs <paramref name="fit"/> with <paramref name="trainer"/>'s progress shown.</summary>
    public void Run(Trainer trainer, Action fit)
    {
        bool bar = _bar;
        var console = _console;
        Action<string> print = Print;
        ProgressTask? task = null;

        trainer.Progress += p =>
        {
            _train.Add((p.Step, p.Perplexity));
            print($"| epoch {p.Epoch} | iter {p.Iteration} / {p.IterationsPerEpoch} | time {p.Elapsed.TotalSeconds:F0} s | {p.TokensPerSecond:N0} tokens/s | perplexity {p.Perplexity:F2}");
            if (task is not null)
            {
                task.MaxValue = p.TotalSteps;
                task.Value = p.Step;
                task.Description = $"epoch {p.Epoch} · {p.TokensPerSecond:N0} tokens/s · perplexity {p.Perplexity:F1}";
            }
        };
        trainer.EpochEnded += e =>
        {
            if (e.ValidationPerplexity is { } ppl)
            {
                _validation.Add((e.Step, ppl));
                print($"epoch {e.Epoch}: validation perplexity {ppl:F2}{(e.Improved ? "" : $" (no improvement; learning rate now {e.LearningRate})")}");
            }
        };

        if (!bar)
        {
            fit();
            return;
        }
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                task = context.AddTask("training", maxValue: 1);
                fit();
                task.Value = task.MaxValue;
            });
    }

    /// <summary>Writes the training and validation perplexity curves, and the test perplexity, as a PNG (log scale), atomically.</summary>
    public void SavePlot(string path, string title, double? testPerplexity)
    {
        // Without the font, the plot's text silently disappears.
        if (OperatingSystem.IsLinux() && !File.Exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
            Console.Error.WriteLine("warning: DejaVu Sans is not installed; the plot will have no text (apt-get install fonts-dejavu-core).");
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        var train = plot.Add.Scatter(_train.Select(p => p.Step).ToArray(), _train.Select(p => Math.Log10(p.Perplexity)).ToArray());
        train.LegendText = "training (mean of each report interval)";
        train.MarkerSize = 0;
        if (_validation.Count > 0)
        {
            var validation = plot.Add.Scatter(_validation.Select(p => p.Step).ToArray(), _validation.Select(p => Math.Log10(p.Perplexity)).ToArray());
            validation.LegendText = "validation (end of each epoch)";
            validation.MarkerSize = 8;
        }
        var all = _train.Concat(_validation).Select(p => p.Perplexity).ToList();
        if (testPerplexity is { } test && _train.Count > 0)
        {
            var marker = plot.Add.Marker(_train[^1].Step, Math.Log10(test), MarkerShape.FilledDiamond, 12);
            marker.LegendText = $"test perplexity {test:F2}";
            all.Add(test);
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        if (all.Count > 0)
        {
            foreach (var (value, major) in LogTicks(all.Min(), all.Max()))
            {
                if (major)
                    ticks.AddMajor(Math.Log10(value), value.ToString(value >= 10 ? "N0" : "0.##", System.Globalization.CultureInfo.InvariantCulture));
                else
                    ticks.AddMinor(Math.Log10(value));
            }
        }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.Label.Text = "perplexity (log scale)";
        plot.Axes.Bottom.Label.Text = "iteration";
        plot.Title(title);
        plot.ShowLegend(Alignment.UpperRight);

        AtomicFile.Write(path, temporary => plot.SavePng(temporary, 900, 520));
    }

    /// <summary>
    /// Ticks for a log axis over [min, max]: majors at 1, 2, 5 × 10^k (every digit when the range holds fewer than two of
    /// those, tenths of a decade when it holds fewer still), minors at the other digits.
    /// </summary>
    internal static IEnumerable<(double Value, bool Major)> LogTicks(double min, double max)
    {
        double low = min / 1.2, high = max * 1.2;
        int first = (int)Math.Floor(Math.Log10(low)), last = (int)Math.Ceiling(Math.Log10(high));
        double[][] mantissas = [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9], [.. Enumerable.Range(10, 90).Select(m => m / 10.0)]];
        foreach (var majors in mantissas)
        {
            var all = new List<(double, bool)>();
            for (int k = first; k <= last; k++)
            {
                foreach (var m in mantissas[Math.Min(2, Array.IndexOf(mantissas, majors) + 1)])
                {
                    double value = Math.Round(m * Math.Pow(10, k), 12);
                    if (value >= low && value <= high)
                        all.Add((value, majors.Contains(m)));
                }
            }
            if (all.Count(t => t.Item2) >= 2 || majors == mantissas[^1])
                return all;
        }
        return [];
    }
}
