using System.Runtime.CompilerServices;
using Lstm.Layers;

namespace Lstm.Training;

/// <summary>
/// The book's batching for truncated BPTT (<c>RnnlmTrainer.get_batch</c>): inputs xs = corpus[:-1], targets
/// ts = corpus[1:]; row i of a batch reads from offset i·(len(xs) / N); a global time index advances by one per
/// column and wraps modulo len(xs). An epoch is len(xs) / (N·T) batches. Consecutive batches continue each row, so a
/// stateful model carries its state from one to the next.
/// </summary>
/// <remarks>The book's evaluation (<c>eval_perplexity</c>) reads the same windows with N = 10, T = 35.</remarks>
public sealed class TruncatedBpttBatches : IBatchSource
{
    private readonly int[] _corpus;

    /// <summary>Batches of <paramref name="batchSize"/> rows and <paramref name="timeSteps"/> columns over <paramref name="corpus"/>.</summary>
    /// <exception cref="ArgumentException">The corpus is too short for one batch.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public TruncatedBpttBatches(int[] corpus, int batchSize, int timeSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeSteps, 1);
        if (corpus.Length - 1 < (long)batchSize * timeSteps)
            throw new ArgumentException($"The corpus has {corpus.Length} tokens; one batch of {batchSize}×{timeSteps} needs at least {(long)batchSize * timeSteps + 1}.", nameof(corpus));
        (_corpus, Shape) = (corpus, new SequenceShape(batchSize, timeSteps));
    }

    /// <inheritdoc/>
    public SequenceShape Shape { get; }

    /// <summary>N·T ids.</summary>
    public int InputLength => Shape.Rows;

    /// <summary>N·T next ids.</summary>
    public int TargetLength => Shape.Rows;

    /// <summary>len(xs) = corpus length − 1.</summary>
    public int DataSize => _corpus.Length - 1;

    /// <summary>Distance between the starting offsets of two rows: len(xs) / N.</summary>
    public int Jump => DataSize / Shape.BatchSize;

    /// <summary>Iterations in one epoch: len(xs) / (N·T).</summary>
    public int BatchesPerEpoch => DataSize / Shape.Rows;

    /// <summary>The global time index: columns taken so far, T per batch.</summary>
    public long TimeIndex => Position * Shape.TimeSteps;

    /// <inheritdoc/>
    public long Position { get; set; }

    /// <summary>Fills xs[i, t] = corpus[(i·jump + τ) mod len] and ts[i, t] = corpus[(i·jump + τ) mod len + 1], τ = the time index of column t.</summary>
    /// <exception cref="ArgumentException">A span is shorter than N·T.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SequenceShape Next(Span<float> inputs, Span<float> targets)
    {
        int N = Shape.BatchSize, T = Shape.TimeSteps, size = DataSize, jump = Jump;
        if (inputs.Length < N * T || targets.Length < N * T)
            throw new ArgumentException($"The inputs and targets must hold N×T = {N}×{T} ids.", nameof(inputs));
        long time = TimeIndex;
        for (int t = 0; t < T; t++, time++)
        {
            for (int i = 0; i < N; i++)
            {
                int position = (int)(((long)i * jump + time) % size);
                inputs[i * T + t] = _corpus[position];
                targets[i * T + t] = _corpus[position + 1];
            }
        }
        Position++;
        return Shape;
    }
}
