using Lstm.Layers;

namespace Lstm.Training;

/// <summary>
/// Minibatches of fixed-length examples (the book's chapter 7 <c>Trainer</c>): example e is inputs [T,D] and targets
/// [K] at position e of two flat arrays. With shuffling, every epoch visits the examples in a new random order and
/// takes ⌊count / N⌋ full batches (the book's <c>max_iters</c>); without, one pass keeps every example, the last batch
/// holding the remainder (for evaluation).
/// </summary>
/// <remarks>
/// An epoch's order depends only on the seed and the epoch number, so a resumed run sees the same batches. Examples of
/// different lengths, padded to T, carry their lengths into each batch's <see cref="SequenceShape.Lengths"/>.
/// </remarks>
public sealed class ExampleBatches : IBatchSource
{
    private readonly float[] _inputs, _targets;
    private readonly int _count, _inputsPerExample, _targetsPerExample;
    private readonly bool _shuffle;
    private readonly ulong _seed;
    private readonly int[] _order;
    private readonly int[]? _lengths;
    private readonly int[] _batchLengths;
    private long _orderEpoch = -1;

    /// <summary>
    /// Batches of <paramref name="batchSize"/> examples of <paramref name="timeSteps"/> steps from <paramref name="inputs"/>
    /// [count, T, D] and <paramref name="targets"/> [count, K], with each example's length when they are padded.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays do not hold <paramref name="count"/> whole examples, or (shuffled) fewer examples than a batch.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or a length is outside [1, T].</exception>
    public ExampleBatches(float[] inputs, float[] targets, int count, int timeSteps, int batchSize, bool shuffle = true, ulong seed = 0, int[]? lengths = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeSteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (inputs.Length == 0 || inputs.Length % ((long)count * timeSteps) != 0)
            throw new ArgumentException($"inputs has {inputs.Length} values, not {count} examples of {timeSteps} steps.", nameof(inputs));
        if (targets.Length == 0 || targets.Length % count != 0)
            throw new ArgumentException($"targets has {targets.Length} values, not the same number for each of {count} examples.", nameof(targets));
        if (shuffle && count < batchSize)
            throw new ArgumentException($"{count} examples make no full batch of {batchSize}.", nameof(count));
        if (lengths is not null && (lengths.Length != count || lengths.Any(l => l < 1 || l > timeSteps)))
            throw new ArgumentOutOfRangeException(nameof(lengths), $"lengths must hold one length in [1, {timeSteps}] per example ({count}).");
        (_inputs, _targets, _count, _shuffle, _seed, _lengths) = (inputs, targets, count, shuffle, seed, lengths);
        _batchLengths = new int[lengths is null ? 0 : batchSize];
        _inputsPerExample = inputs.Length / count;
        _targetsPerExample = targets.Length / count;
        Shape = new SequenceShape(batchSize, timeSteps);
        _order = [.. Enumerable.Range(0, count)];
    }

    /// <inheritdoc/>
    public SequenceShape Shape { get; }

    /// <inheritdoc/>
    public int InputLength => Shape.BatchSize * _inputsPerExample;

    /// <inheritdoc/>
    public int TargetLength => Shape.BatchSize * _targetsPerExample;

    /// <summary>Examples.</summary>
    public int Count => _count;

    /// <inheritdoc/>
    public int BatchesPerEpoch => _shuffle ? _count / Shape.BatchSize : (_count + Shape.BatchSize - 1) / Shape.BatchSize;

    /// <inheritdoc/>
    public long Position { get; set; }

    /// <inheritdoc/>
    public SequenceShape Next(Span<float> inputs, Span<float> targets)
    {
        if (inputs.Length < InputLength || targets.Length < TargetLength)
            throw new ArgumentException($"The inputs and targets must hold a full batch: {InputLength} and {TargetLength} values.", nameof(inputs));
        long epoch = Position / BatchesPerEpoch;
        int batch = (int)(Position % BatchesPerEpoch), N = Shape.BatchSize;
        if (_shuffle && epoch != _orderEpoch)
            Shuffle(epoch);
        int first = batch * N, rows = Math.Min(N, _count - first);
        for (int r = 0; r < rows; r++)
        {
            int e = _order[first + r];
            _inputs.AsSpan(e * _inputsPerExample, _inputsPerExample).CopyTo(inputs[(r * _inputsPerExample)..]);
            _targets.AsSpan(e * _targetsPerExample, _targetsPerExample).CopyTo(targets[(r * _targetsPerExample)..]);
            if (_lengths is not null)
                _batchLengths[r] = _lengths[e];
        }
        Position++;
        return Shape with { BatchSize = rows, Lengths = _lengths is null ? default : _batchLengths.AsMemory(0, rows) };
    }

    /// <summary>The order of <paramref name="epoch"/>: a Fisher–Yates shuffle seeded by (seed, epoch).</summary>
    private void Shuffle(long epoch)
    {
        new RandomSource(_seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1))).Permutation(_order);
        _orderEpoch = epoch;
    }
}
