using System.Diagnostics;
using Lstm.Models;

namespace Lstm.Training;

/// <summary>Settings of a <see cref="Trainer"/>; the defaults are the book's Rnnlm recipe.</summary>
/// <param name="BatchSize">N, rows per batch.</param>
/// <param name="TimeSteps">T, the truncated-BPTT length.</param>
/// <param name="MaxGradNorm">Clip gradients to this global norm (0: no clipping).</param>
/// <param name="ReportInterval">Report progress every this many iterations.</param>
/// <param name="LearningRateDecay">Divide the learning rate by this when validation perplexity does not improve (1: never).</param>
/// <param name="ResetStateAfterValidation">
/// Start the next epoch from a zero state after validating (the book's BetterRnnlm script); otherwise training resumes from
/// the state it had, as if no validation had run (the book's Rnnlm script, which does not validate between epochs).
/// </param>
public sealed record TrainerOptions(
    int BatchSize = 20,
    int TimeSteps = 35,
    float MaxGradNorm = 0.25f,
    int ReportInterval = 20,
    float LearningRateDecay = 1f,
    bool ResetStateAfterValidation = false);

/// <summary>Progress of a run, reported every <see cref="TrainerOptions.ReportInterval"/> iterations.</summary>
/// <param name="Epoch">Epoch, from 1.</param>
/// <param name="Iteration">Iteration within the epoch, from 1.</param>
/// <param name="IterationsPerEpoch">Iterations in one epoch.</param>
/// <param name="Step">Iterations since the run started, from 1.</param>
/// <param name="TotalSteps">Iterations the run will take.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="TokensPerSecond">Training throughput over the last interval.</param>
/// <param name="Perplexity">exp(mean training loss) over the last interval.</param>
public readonly record struct TrainingProgress(int Epoch, int Iteration, int IterationsPerEpoch, long Step, long TotalSteps,
    TimeSpan Elapsed, double TokensPerSecond, double Perplexity);

/// <summary>The end of an epoch.</summary>
/// <param name="Epoch">Epoch, from 1.</param>
/// <param name="TrainPerplexity">exp(mean training loss) over the epoch.</param>
/// <param name="ValidationPerplexity">Perplexity on the validation corpus, when there is one.</param>
/// <param name="LearningRate">The learning rate for the next epoch.</param>
/// <param name="Improved">Whether validation perplexity improved on the best so far (true without validation).</param>
public readonly record struct EpochResult(int Epoch, double TrainPerplexity, double? ValidationPerplexity, float LearningRate, bool Improved);

/// <summary>
/// The book's <c>RnnlmTrainer</c>: truncated-BPTT batches, forward, backward, clipping by global norm, an optimizer
/// step; after each epoch the validation perplexity, and learning-rate decay when it stops improving.
/// </summary>
public sealed class Trainer(Rnnlm model, Optimizer optimizer, TrainerOptions options)
{
    /// <summary>The model being trained.</summary>
    public Rnnlm Model { get; } = model;

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; } = options;

    /// <summary>Called every report interval.</summary>
    public event Action<TrainingProgress>? Progress;

    /// <summary>Called after each epoch.</summary>
    public event Action<EpochResult>? EpochEnded;

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs (or <paramref name="maxSteps"/> iterations, if fewer) on
    /// <paramref name="corpus"/>, evaluating on <paramref name="validation"/> after each epoch when given.
    /// Returns the mean training loss of every report interval.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one batch.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public IReadOnlyList<double> Fit(int[] corpus, int epochs, long maxSteps = long.MaxValue, int[]? validation = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        var batches = new TruncatedBpttBatches(corpus, Options.BatchSize, Options.TimeSteps);
        int N = Options.BatchSize, T = Options.TimeSteps, perEpoch = batches.IterationsPerEpoch;
        long total = Math.Min((long)epochs * perEpoch, maxSteps);
        var xs = new int[N * T];
        var ts = new int[N * T];
        var losses = new List<double>();
        double best = double.PositiveInfinity, intervalLoss = 0;
        int intervalCount = 0;
        long step = 0;
        var clock = Stopwatch.StartNew();
        var interval = Stopwatch.StartNew();
        var parameters = Model.Parameters;

        for (int epoch = 1; epoch <= epochs && step < total; epoch++)
        {
            double epochLoss = 0;
            int epochCount = 0;
            for (int iteration = 1; iteration <= perEpoch && step < total; iteration++)
            {
                batches.Next(xs, ts);
                float loss = Model.Forward(xs, ts, N, T, training: true);
                if (!float.IsFinite(loss))
                    throw new TrainingDivergedException($"The training loss became {loss} at epoch {epoch}, iteration {iteration}; try a lower learning rate or a smaller --clip.");
                parameters.ZeroGrad();
                Model.Backward();
                if (Options.MaxGradNorm > 0)
                    GradientClipping.ClipByGlobalNorm(parameters, Options.MaxGradNorm);
                Optimizer.Step(parameters);
                step++;
                (intervalLoss, intervalCount) = (intervalLoss + loss, intervalCount + 1);
                (epochLoss, epochCount) = (epochLoss + loss, epochCount + 1);

                if (intervalCount == Options.ReportInterval || step == total)
                {
                    double mean = intervalLoss / intervalCount;
                    losses.Add(mean);
                    double tokensPerSecond = (double)intervalCount * N * T / Math.Max(interval.Elapsed.TotalSeconds, 1e-9);
                    Progress?.Invoke(new TrainingProgress(epoch, iteration, perEpoch, step, total, clock.Elapsed, tokensPerSecond, Math.Exp(mean)));
                    (intervalLoss, intervalCount) = (0, 0);
                    interval.Restart();
                }
            }

            double? validationPerplexity = null;
            bool improved = true;
            if (validation is not null)
            {
                var state = Model.SaveState();
                validationPerplexity = Evaluation.Perplexity(Model, validation);
                improved = validationPerplexity < best;
                if (improved)
                    best = validationPerplexity.Value;
                else if (Options.LearningRateDecay > 1f)
                    Optimizer.LearningRate /= Options.LearningRateDecay;
                if (!Options.ResetStateAfterValidation)
                    Model.RestoreState(state);
            }
            EpochEnded?.Invoke(new EpochResult(epoch, Math.Exp(epochLoss / Math.Max(epochCount, 1)), validationPerplexity, Optimizer.LearningRate, improved));
            interval.Restart();
        }
        return losses;
    }
}

/// <summary>The training loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
