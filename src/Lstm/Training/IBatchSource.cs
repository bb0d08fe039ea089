using Lstm.Layers;

namespace Lstm.Training;

/// <summary>
/// Where a <see cref="Trainer"/> and <see cref="Evaluation"/> get their batches: inputs [N,T,D] and targets, filled
/// batch after batch. The position is a count of batches taken, so a resumed run continues with the same batch.
/// </summary>
public interface IBatchSource
{
    /// <summary>The shape of a full batch.</summary>
    SequenceShape Shape { get; }

    /// <summary>Input values of a full batch (N·T·D).</summary>
    int InputLength { get; }

    /// <summary>Target values of a full batch (N·T labels for a language model, N for a classifier, N·T·K for a regressor).</summary>
    int TargetLength { get; }

    /// <summary>Batches in one epoch.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>Batches taken so far (settable, to resume a run or to start a pass again).</summary>
    long Position { get; set; }

    /// <summary>
    /// Fills the next batch into the start of <paramref name="inputs"/> and <paramref name="targets"/> (each at least a full
    /// batch long) and returns its shape: the full shape, or fewer sequences for the last batch of a pass that keeps every example.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than a full batch.</exception>
    SequenceShape Next(Span<float> inputs, Span<float> targets);
}
