using System.Runtime.CompilerServices;

namespace Lstm.Training;

/// <summary>
/// The book's batching for truncated BPTT (<c>RnnlmTrainer.get_batch</c>): inputs xs = corpus[:-1], targets
/// ts = corpus[1:]; row i of a batch reads from offset i·(len(xs) / N); a global time index advances by one per
/// column and wraps modulo len(xs). An epoch is len(xs) / (N·T) iterations.
/// </summary>
public sealed class TruncatedBpttBatches
{
    private readonly int[] _corpus;

    /// <summary>Batches of <paramref name="batchSize"/> rows and <paramref name="timeSteps"/> columns over <paramref name="corpus"/>.</summary>
    /// <exception cref="ArgumentException">The corpus is too short for one batch.</exception>
    public TruncatedBpttBatches(int[] corpus, int batchSize, int timeSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeSteps, 1);
        if (corpus.Length - 1 < batchSize * timeSteps)
            throw new ArgumentException($"The corpus has {corpus.Length} tokens; one batch of {batchSize}×{timeSteps} needs at least {batchSize * timeSteps + 1}.", nameof(corpus));
        (_corpus, BatchSize, TimeSteps) = (corpus, batchSize, timeSteps);
    }

    /// <summary>N, rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>T, columns per batch.</summary>
    public int TimeSteps { get; }

    /// <summary>len(xs) = corpus length − 1.</summary>
    public int DataSize => _corpus.Length - 1;

    /// <summary>Distance between the starting offsets of two rows: len(xs) / N.</summary>
    public int Jump => DataSize / BatchSize;

    /// <summary>Iterations in one epoch: len(xs) / (N·T).</summary>
    public int IterationsPerEpoch => DataSize / (BatchSize * TimeSteps);

    /// <summary>The global time index: columns taken so far (settable, to resume a run).</summary>
    public long TimeIndex { get; set; }

    /// <summary>Fills xs[i, t] = corpus[(i·jump + τ) mod len] and ts[i, t] = corpus[(i·jump + τ) mod len + 1], τ = the time index of column t.</summary>
    /// <exception cref="ArgumentException">A span does not hold N·T ids.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Next(Span<int> xs, Span<int> ts)
    {
        int N = BatchSize, T = TimeSteps, size = DataSize, jump = Jump;
        if (xs.Length != N * T || ts.Length != N * T)
            throw new ArgumentException($"xs and ts must hold N×T = {N}×{T} ids.", nameof(xs));
        for (int t = 0; t < T; t++, TimeIndex++)
        {
            for (int i = 0; i < N; i++)
            {
                int position = (int)(((long)i * jump + TimeIndex) % size);
                xs[i * T + t] = _corpus[position];
                ts[i * T + t] = _corpus[position + 1];
            }
        }
    }
}
