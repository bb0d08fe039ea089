using System.Diagnostics;
using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Training;

/// <summary>Settings of a <see cref="Trainer"/>; the defaults are the book's Rnnlm recipe.</summary>
/// <param name="BatchSize">N, rows per batch of a corpus (<see cref="Trainer.Fit(int[], int, long, int[], TrainingPosition)"/>).</param>
/// <param name="TimeSteps">T, the truncated-BPTT length of a corpus.</param>
/// <param name="MaxGradNorm">Clip gradients to this global norm (0: no clipping).</param>
/// <param name="ReportInterval">Report progress every this many iterations.</param>
/// <param name="LearningRateDecay">Divide the learning rate by this when the validation loss does not improve (1: never).</param>
/// <param name="CheckpointInterval">Also raise <see cref="Trainer.CheckpointDue"/> every this many iterations (0: only at epoch ends).</param>
/// <param name="ResetStateAfterValidation">
/// Start the next epoch from a zero state after validating (the book's BetterRnnlm script); otherwise training resumes from
/// the state it had, as if no validation had run (the book's Rnnlm script, which does not validate between epochs).
/// </param>
/// <param name="MaxLoss">
/// A run whose mean loss stays above this for <see cref="DivergenceReports"/> report intervals in a row, or ends an
/// epoch or the run above it, is diverging and stops (for a softmax over V classes a few times ln V, the loss of a
/// uniform guess; infinity: never).
/// </param>
public sealed record TrainerOptions(
    int BatchSize = 20,
    int TimeSteps = 35,
    float MaxGradNorm = 0.25f,
    int ReportInterval = 20,
    float LearningRateDecay = 1f,
    bool ResetStateAfterValidation = false,
    int CheckpointInterval = 0,
    float MaxLoss = float.PositiveInfinity)
{
    /// <summary>Report intervals in a row above <see cref="MaxLoss"/> that stop a run.</summary>
    public const int DivergenceReports = 3;
}

/// <summary>
/// Where a run stands, besides the weights and the optimizer's buffers: what a resumed run needs to continue exactly
/// as if it had not stopped.
/// </summary>
/// <param name="Step">Iterations done.</param>
/// <param name="Epoch">The epoch to continue (from 1).</param>
/// <param name="Iteration">Iterations of that epoch already done.</param>
/// <param name="BatchPosition">The batch source's <see cref="IBatchSource.Position"/>.</param>
/// <param name="BestValidationLoss">The best validation loss so far (infinity before the first).</param>
/// <param name="LearningRate">The optimizer's learning rate.</param>
/// <param name="OptimizerSteps">The optimizer's step count.</param>
/// <param name="RandomState">The model's random generator (dropout masks).</param>
/// <param name="RecurrentState">The carried state of each recurrent layer (null where there is none).</param>
/// <param name="Batch">The shape of the run's batches: a resumed run must take the same.</param>
public sealed record TrainingPosition(long Step, int Epoch, int Iteration, long BatchPosition, double BestValidationLoss,
    float LearningRate, long OptimizerSteps, (uint, uint, uint, uint) RandomState, RecurrentState?[] RecurrentState, SequenceShape Batch);

/// <summary>Progress of a run, reported every <see cref="TrainerOptions.ReportInterval"/> iterations and at the end of each epoch.</summary>
/// <param name="Epoch">Epoch, from 1.</param>
/// <param name="Iteration">Iteration within the epoch, from 1.</param>
/// <param name="IterationsPerEpoch">Iterations in one epoch.</param>
/// <param name="Step">Iterations since the run started, from 1.</param>
/// <param name="TotalSteps">Iterations the run will take.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="TokensPerSecond">Training throughput over the last interval (time steps of every sequence).</param>
/// <param name="Loss">The mean training loss over the last interval.</param>
public readonly record struct TrainingProgress(int Epoch, int Iteration, int IterationsPerEpoch, long Step, long TotalSteps,
    TimeSpan Elapsed, double TokensPerSecond, double Loss)
{
    /// <summary>exp(<see cref="Loss"/>), for a cross-entropy loss.</summary>
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>The end of an epoch.</summary>
/// <param name="Epoch">Epoch, from 1.</param>
/// <param name="Step">Iterations since the run started.</param>
/// <param name="TrainLoss">The mean training loss over the epoch.</param>
/// <param name="ValidationLoss">The mean loss on the validation batches, when there are some.</param>
/// <param name="LearningRate">The learning rate for the next epoch.</param>
/// <param name="Improved">Whether the validation loss improved on the best so far (true without validation).</param>
public readonly record struct EpochResult(int Epoch, long Step, double TrainLoss, double? ValidationLoss, float LearningRate, bool Improved)
{
    /// <summary>exp(<see cref="TrainLoss"/>), for a cross-entropy loss.</summary>
    public double TrainPerplexity => Math.Exp(TrainLoss);

    /// <summary>exp(<see cref="ValidationLoss"/>), for a cross-entropy loss.</summary>
    public double? ValidationPerplexity => ValidationLoss is { } loss ? Math.Exp(loss) : null;
}

/// <summary>
/// Trains any <see cref="Model"/> on any <see cref="IBatchSource"/> (the book's <c>RnnlmTrainer</c> and <c>Trainer</c>):
/// each iteration a batch, forward, backward, clipping by global norm, an optimizer step; after each epoch the
/// validation loss, and learning-rate decay when it stops improving.
/// </summary>
public sealed class Trainer(Model model, Optimizer optimizer, TrainerOptions options)
{
    /// <summary>The model being trained.</summary>
    public Model Model { get; } = model;

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
    /// A language model on a corpus, the book's way: truncated-BPTT batches of <see cref="TrainerOptions.BatchSize"/> ×
    /// <see cref="TrainerOptions.TimeSteps"/>, validation perplexity over the book's windows (N = 10, T = 35).
    /// </summary>
    /// <exception cref="ArgumentException">A corpus is shorter than one batch.</exception>
    /// <exception cref="TrainingDivergedException">The loss or the gradients became NaN or infinite, or the loss stayed above <see cref="TrainerOptions.MaxLoss"/>.</exception>
    public IReadOnlyList<double> Fit(int[] corpus, int epochs, long maxSteps = long.MaxValue, int[]? validation = null, TrainingPosition? resume = null)
        => Fit(new TruncatedBpttBatches(corpus, Options.BatchSize, Options.TimeSteps), epochs, maxSteps,
            validation is null ? null : new TruncatedBpttBatches(validation, 10, 35), resume);

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs (or <paramref name="maxSteps"/> iterations, if fewer) on
    /// <paramref name="batches"/>, evaluating the mean loss on <paramref name="validation"/> after each epoch when given.
    /// Returns the mean training loss of every report interval.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradients became NaN or infinite, or the loss stayed above <see cref="TrainerOptions.MaxLoss"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="resume"/> was saved with batches of another shape.</exception>
    /// <remarks>With <paramref name="resume"/>, the run continues from that position (the model's weights and the
    /// optimizer's state restored by the caller): it ends with the same weights as a run that never stopped.</remarks>
    public IReadOnlyList<double> Fit(IBatchSource batches, int epochs, long maxSteps = long.MaxValue, IBatchSource? validation = null, TrainingPosition? resume = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        int perEpoch = batches.BatchesPerEpoch;
        if (perEpoch < 1)
            throw new ArgumentException("The batch source has no batch in an epoch.", nameof(batches));
        long total = Math.Min((long)epochs * perEpoch, maxSteps);
        var inputs = new float[batches.InputLength];
        var targets = new float[batches.TargetLength];
        int perSequenceIn = batches.InputLength / batches.Shape.BatchSize, perSequenceOut = batches.TargetLength / batches.Shape.BatchSize;
        var losses = new List<double>();
        double best = double.PositiveInfinity, intervalLoss = 0;
        int intervalCount = 0, reportsAboveMaxLoss = 0;
        long step = 0, intervalTokens = 0;
        int firstEpoch = 1, firstIteration = 1;
        if (resume is not null)
        {
            if (resume.Batch.BatchSize != batches.Shape.BatchSize || resume.Batch.TimeSteps != batches.Shape.TimeSteps)
                throw new ArgumentException($"The run was saved with batches of N×T = {resume.Batch.BatchSize}×{resume.Batch.TimeSteps}; resuming it needs the same, not {batches.Shape.BatchSize}×{batches.Shape.TimeSteps}.", nameof(resume));
            (step, firstEpoch, firstIteration, best) = (resume.Step, resume.Epoch, resume.Iteration + 1, resume.BestValidationLoss);
            batches.Position = resume.BatchPosition;
            Optimizer.LearningRate = resume.LearningRate;
            Optimizer.Steps = resume.OptimizerSteps;
            Model.Random.SetState(resume.RandomState);
            Model.RestoreState(resume.RecurrentState);
        }
        var clock = Stopwatch.StartNew();
        var interval = Stopwatch.StartNew();
        var parameters = Model.Parameters;
        TrainingPosition Position(int epoch, int iteration) => new(step, epoch, iteration, batches.Position, best,
            Optimizer.LearningRate, Optimizer.Steps, Model.Random.State, Model.SaveState(), new SequenceShape(batches.Shape.BatchSize, batches.Shape.TimeSteps));

        for (int epoch = firstEpoch; epoch <= epochs && step < total; epoch++)
        {
            double epochLoss = 0;
            int epochCount = 0, done = epoch == firstEpoch ? firstIteration - 1 : 0;
            for (int iteration = done + 1; iteration <= perEpoch && step < total; iteration++, done++)
            {
                var shape = batches.Next(inputs, targets);
                float loss = Model.Forward(inputs.AsMemory(0, shape.BatchSize * perSequenceIn), targets.AsMemory(0, shape.BatchSize * perSequenceOut), shape, training: true);
                if (!float.IsFinite(loss))
                    throw new TrainingDivergedException($"The training loss became {loss} at epoch {epoch}, iteration {iteration}; try a lower learning rate or a smaller --clip.");
                parameters.ZeroGrad();
                Model.Backward();
                // The norm comes free with clipping; without it, non-finite gradients show in the next loss.
                if (Options.MaxGradNorm > 0 && GradientClipping.ClipByGlobalNorm(parameters, Options.MaxGradNorm) is var norm && !float.IsFinite(norm))
                    throw new TrainingDivergedException($"The gradients became {norm} at epoch {epoch}, iteration {iteration}; try a lower learning rate.");
                Optimizer.Step(parameters);
                step++;
                (intervalLoss, intervalCount, intervalTokens) = (intervalLoss + loss, intervalCount + 1, intervalTokens + shape.Rows);
                (epochLoss, epochCount) = (epochLoss + loss, epochCount + 1);

                if (intervalCount == Options.ReportInterval || step == total || iteration == perEpoch)
                {
                    double mean = intervalLoss / intervalCount;
                    losses.Add(mean);
                    double tokensPerSecond = intervalTokens / Math.Max(interval.Elapsed.TotalSeconds, 1e-9);
                    Progress?.Invoke(new TrainingProgress(epoch, iteration, perEpoch, step, total, clock.Elapsed, tokensPerSecond, mean));
                    reportsAboveMaxLoss = mean > Options.MaxLoss ? reportsAboveMaxLoss + 1 : 0;
                    // An epoch or a run that ends above the limit has diverged too: nothing of it gets saved.
                    if (reportsAboveMaxLoss == TrainerOptions.DivergenceReports || (reportsAboveMaxLoss > 0 && (step == total || iteration == perEpoch)))
                        throw new TrainingDivergedException($"The training loss is {mean:G4}, above {Options.MaxLoss:G4} for {reportsAboveMaxLoss} report(s), at epoch {epoch}, iteration {iteration}: the run is diverging; try a lower learning rate or a smaller --clip.");
                    (intervalLoss, intervalCount, intervalTokens) = (0, 0, 0);
                    interval.Restart();
                }

                if (Options.CheckpointInterval > 0 && step % Options.CheckpointInterval == 0 && iteration < perEpoch)
                    CheckpointDue?.Invoke(Position(epoch, iteration));
            }

            double? validationLoss = null;
            bool improved = true;
            if (validation is not null)
            {
                var state = Model.SaveState();
                validationLoss = Evaluation.MeanLoss(Model, validation);
                improved = validationLoss < best;
                if (improved)
                    best = validationLoss.Value;
                else if (Options.LearningRateDecay > 1f)
                    Optimizer.LearningRate /= Options.LearningRateDecay;
                if (!Options.ResetStateAfterValidation)
                    Model.RestoreState(state);
            }
            EpochEnded?.Invoke(new EpochResult(epoch, step, epochLoss / Math.Max(epochCount, 1), validationLoss, Optimizer.LearningRate, improved));
            // A run stopped by maxSteps inside an epoch resumes inside it.
            CheckpointDue?.Invoke(done < perEpoch ? Position(epoch, done) : Position(epoch + 1, 0));
            interval.Restart();
        }
        return losses;
    }
}

/// <summary>The training diverged: the loss or the gradients became NaN or infinite, or the loss stayed far too high.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
