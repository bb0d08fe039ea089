using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// Softmax over V and mean cross-entropy over the N·T positions whose label is not <see cref="IgnoreLabel"/>
/// (the book's <c>TimeSoftmaxWithLoss</c>). Backward gives (softmax − onehot) / count, zero on ignored positions.
/// </summary>
/// <remarks>
/// The gradient is computed row by row inside <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int})"/>, while the row is still in cache: the scores of
/// a 10,000-word vocabulary are far larger than the caches, and each extra pass over them costs as much as the math.
/// </remarks>
public sealed class TimeSoftmaxWithLoss
{
    /// <summary>The label of a position that takes no part in the loss.</summary>
    public const int IgnoreLabel = -1;

    private float[] _dscores = [], _row = [];
    private bool _hasGradient;

    /// <summary>Mean cross-entropy of scores [rows, V] against labels [rows] (labels in [0, V) or −1), and the gradient <see cref="Backward"/> returns.</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, V) and not −1.</exception>
    public float Forward(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels)
    {
        float loss = Forward(scores, labels, Buffers.Ensure(ref _dscores, scores.Length));
        _hasGradient = true;
        return loss;
    }

    /// <summary>
    /// Mean cross-entropy of scores [rows, V] against labels [rows], writing the gradient into <paramref name="dscores"/>,
    /// which may be <paramref name="scores"/> itself (each row is read before it is overwritten). An empty
    /// <paramref name="dscores"/> computes the loss only.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, V) and not −1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Forward(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, Span<float> dscores)
    {
        int rows = labels.Length;
        if (rows == 0 || scores.Length % rows != 0)
            throw new ArgumentException($"scores has {scores.Length} values, not a whole row for each of {rows} labels.", nameof(scores));
        bool gradient = !dscores.IsEmpty;
        if (gradient && dscores.Length != scores.Length)
            throw new ArgumentException($"dscores has {dscores.Length} values; expected {scores.Length} (or none for the loss only).", nameof(dscores));
        int V = scores.Length / rows, count = 0;
        for (int r = 0; r < rows; r++)
        {
            if (labels[r] == IgnoreLabel)
                continue;
            if ((uint)labels[r] >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[r], $"Label {labels[r]} at position {r} is outside [0, {V}) and is not the ignore label {IgnoreLabel}.");
            count++;
        }

        _hasGradient = false;
        Span<float> scratch = gradient ? default : Buffers.Ensure(ref _row, V);
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            int label = labels[r];
            var p = gradient ? dscores.Slice(r * V, V) : scratch;
            if (label == IgnoreLabel)
            {
                p.Clear();
                continue;
            }
            // Stable: p = e^(x − max) / Σ; −log p[label] = log Σ − (x[label] − max).
            var x = scores.Slice(r * V, V);
            float max = TensorPrimitives.Max(x);
            float target = x[label] - max;
            float sum = Elementwise.ExpShiftedSum(x, max, p);
            loss += Math.Log(sum) - target;
            if (gradient)
            {
                TensorPrimitives.Multiply(p, 1f / (sum * count), p);
                p[label] -= 1f / count;
            }
        }
        return count == 0 ? 0f : (float)(loss / count);
    }

    /// <summary>dscores [rows, V] = (softmax − onehot(label)) / count, zero rows for ignored labels; valid until the next call.</summary>
    /// <exception cref="InvalidOperationException">The last forward pass did not compute the gradient.</exception>
    public ReadOnlyMemory<float> Backward() => _hasGradient
        ? _dscores
        : throw new InvalidOperationException("Backward needs a Forward that kept the gradient first.");
}
