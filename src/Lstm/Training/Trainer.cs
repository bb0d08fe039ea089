using System.Diagnostics;
using Lstm.Models;

namespace Lstm.Training;

/// <summary>Settings of a <see cref="Trainer"/>; the defaults are the book's Rnnlm recipe.</summary>
/// <param name="BatchSize">N, rows per batch.</param>
/// <param name="TimeSteps">T, the truncated-BPTT length.</param>
/// <param name="MaxGradNorm">Clip gradients to this global norm (0: no clipping).</param>
/// <param name="ReportInterval">Report progress every this many iterations.</param>
/// <param name="LearningRateDecay">Divide the learning rate by this when validation perplexity does not improve (1: never).</param>
/// <param name="CheckpointInterval">Also raise <see cref="Trainer.CheckpointDue"/> every this many iterations (0: only at epoch ends).</param>
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
    bool ResetStateAfterValidation = false,
    int CheckpointInterval = 0);

/// <summary>
/// Where a run stands, besides the weights and the optimizer's buffers: what a resumed run needs to continue exactly
/// as if it had not stopped.
/// </summary>
/// <param name="Step">Iterations done.</param>
/// <param name="Epoch">The epoch to continue (from 1).</param>
/// <param name="Iteration">Iterations of that epoch already done.</param>
/// <param name="TimeIndex">The batcher's global time index.</param>
/// <param name="BestValidation">The best validation perplexity so far (infinity before the first).</param>
/// <param name="LearningRate">The optimizer's learning rate.</param>
/// <param name="OptimizerSteps">The optimizer's step count.</param>
/// <param name="RandomState">The model's random generator (dropout masks).</param>
/// <param name="RecurrentState">The carried state of each recurrent layer.</param>
public sealed record TrainingPosition(long Step, int Epoch, int Iteration, long TimeIndex, double BestValidation,
    float LearningRate, long OptimizerSteps, (uint, uint, uint, uint) RandomState, float[][] RecurrentState);

/// <summary>Progress of a run, reported every <see cref="TrainerOptions.ReportInterval"/> iterations and at the end of each epoch.</summary>
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
/// <param name="Step">Iterations since the run started.</param>
/// <param name="TrainPerplexity">exp(mean training loss) over the epoch.</param>
/// <param name="ValidationPerplexity">Perplexity on the validation corpus, when there is one.</param>
/// <param name="LearningRate">The learning rate for the next epoch.</param>
/// <param name="Improved">Whether validation perplexity improved on the best so far (true without validation).</param>
public readonly record struct EpochResult(int Epoch, long Step, double TrainPerplexity, double? ValidationPerplexity, float LearningRate, bool Improved);

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
    /// Called after each epoch (after <see cref="EpochEnded"/>) and every <see cref="TrainerOptions.CheckpointInterval"/>
    /// iterations: save the model, the optimizer's <see cref="Optimizer.State"/> and this position to resume later.
    /// </summary>
    public event Action<TrainingPosition>? CheckpointDue;

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs (or <paramref name="maxSteps"/> iterations, if fewer) on
    /// <paramref name="corpus"/>, evaluating on <paramref name="validation"/> after each epoch when given.
    /// Returns the mean training loss of every report interval.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one batch.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    /// <remarks>With <paramref name="resume"/>, the run continues from that position (the model's weights and the
    /// optimizer's state restored by the caller): it ends with the same weights as a run that never stopped.</remarks>
    public IReadOnlyList<double> Fit(int[] corpus, int epochs, long maxSteps = long.MaxValue, int[]? validation = null, TrainingPosition? resume = null)
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
        int firstEpoch = 1, firstIteration = 1;
        if (resume is not null)
        {
            (step, firstEpoch, firstIteration, best) = (resume.Step, resume.Epoch, resume.Iteration + 1, resume.BestValidation);
            batches.TimeIndex = resume.TimeIndex;
            Optimizer.LearningRate = resume.LearningRate;
            Optimizer.Steps = resume.OptimizerSteps;
            Model.Random.SetState(resume.RandomState);
            Model.RestoreState(resume.RecurrentState);
        }
        var clock = Stopwatch.StartNew();
        var interval = Stopwatch.StartNew();
        var parameters = Model.Parameters;
        TrainingPosition Position(int epoch, int iteration) => new(step, epoch, iteration, batches.TimeIndex, best,
            Optimizer.LearningRate, Optimizer.Steps, Model.Random.State, Model.SaveState());

        for (int epoch = firstEpoch; epoch <= epochs && step < total; epoch++)
        {
            double epochLoss = 0;
            int epochCount = 0, done = epoch == firstEpoch ? firstIteration - 1 : 0;
            for (int iteration = done + 1; iteration <= perEpoch && step < total; iteration++, done++)
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

                if (intervalCount == Options.ReportInterval || step == total || iteration == perEpoch)
                {
                    double mean = intervalLoss / intervalCount;
                    losses.Add(mean);
                    double tokensPerSecond = (double)intervalCount * N * T / Math.Max(interval.Elapsed.TotalSeconds, 1e-9);
                    Progress?.Invoke(new TrainingProgress(epoch, iteration, perEpoch, step, total, clock.Elapsed, tokensPerSecond, Math.Exp(mean)));
                    (intervalLoss, intervalCount) = (0, 0);
                    interval.Restart();
                }

                if (Options.CheckpointInterval > 0 && step % Options.CheckpointInterval == 0 && iteration < perEpoch)
                    CheckpointDue?.Invoke(Position(epoch, iteration));
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
            EpochEnded?.Invoke(new EpochResult(epoch, step, Math.Exp(epochLoss / Math.Max(epochCount, 1)), validationPerplexity, Optimizer.LearningRate, improved));
            // A run stopped by maxSteps inside an epoch resumes inside it.
            CheckpointDue?.Invoke(done < perEpoch ? Position(epoch, done) : Position(epoch + 1, 0));
            interval.Restart();
        }
        return losses;
    }
}

/// <summary>The training loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
