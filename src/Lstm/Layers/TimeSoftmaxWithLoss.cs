using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// Softmax over V and mean cross-entropy over the N·T positions whose label is not <see cref="IgnoreLabel"/>
/// (the book's <c>TimeSoftmaxWithLoss</c>): scores [N,T,V] and labels [N,T] → loss. Backward gives
/// dscores = (softmax − onehot) / count, zero on ignored positions. Over the last step only (a classifier), the scores
/// are [N,1,V] and the labels [N].
/// </summary>
/// <remarks>
/// The gradient is computed row by row inside <see cref="Forward"/>, while the row is still in cache: the scores of a
/// 10,000-word vocabulary are far larger than the caches, and each extra pass over them costs as much as the math.
/// </remarks>
/// <param name="overwriteScores">
/// Write the gradient over the scores given to <see cref="Forward"/> (each row is read before it is overwritten)
/// instead of into a buffer of the loss's own: one pass less over the largest buffer of a language model. Only for
/// scores nothing reads again, such as a <see cref="TimeAffine"/>'s output inside a model.
/// </param>
public sealed class TimeSoftmaxWithLoss(bool overwriteScores = false) : ILossLayer
{
    /// <summary>The label of a position that takes no part in the loss.</summary>
    public const int IgnoreLabel = -1;

    private float[] _row = [];
    private float[] _dscoresBuffer = [];
    private ReadOnlyMemory<float> _dscores;
    private bool _hasGradient;

    /// <summary>Mean cross-entropy of scores [N,T,V] against labels [N,T] (whole numbers in [0, V), or −1); in training also the gradient.</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is not a whole number in [0, V) and not −1.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Forward(ReadOnlyMemory<float> ys, ReadOnlyMemory<float> targets, SequenceShape shape, bool training)
    {
        var scores = ys.Span;
        var labels = targets.Span;
        int rows = shape.Rows;
        if (labels.Length != rows)
            throw new ArgumentException($"TimeSoftmaxWithLoss: {labels.Length} labels; expected one per position, N×T = {shape.BatchSize}×{shape.TimeSteps}.", nameof(targets));
        if (rows == 0 || scores.Length % rows != 0 || scores.Length == 0)
            throw new ArgumentException($"TimeSoftmaxWithLoss: scores has {scores.Length} values, not a whole row for each of {rows} positions.", nameof(ys));
        int V = scores.Length / rows, count = 0;
        for (int r = 0; r < rows; r++)
        {
            float label = labels[r];
            if (label == IgnoreLabel)
                continue;
            if (!(label >= 0f && label < V) || label != MathF.Floor(label))
                throw new ArgumentOutOfRangeException(nameof(targets), label, $"Label {label} at position {r} is not a class in [0, {V}) or the ignore label {IgnoreLabel}.");
            count++;
        }

        _hasGradient = false;
        if (training)
            _dscores = overwriteScores ? ys : Buffers.Ensure(ref _dscoresBuffer, scores.Length);
        var dscores = training ? MemoryMarshal.AsMemory(_dscores).Span : default;
        Span<float> scratch = training ? default : Buffers.Ensure(ref _row, V);
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            int label = (int)labels[r];
            var p = training ? dscores.Slice(r * V, V) : scratch;
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
            if (training)
            {
                TensorPrimitives.Multiply(p, 1f / (sum * count), p);
                p[label] -= 1f / count;
            }
        }
        _hasGradient = training;
        return count == 0 ? 0f : (float)(loss / count);
    }

    /// <summary>dscores [N,T,V] = (softmax − onehot(label)) / count, zero rows for ignored labels; valid until the next call.</summary>
    /// <exception cref="InvalidOperationException">The last forward pass did not compute the gradient.</exception>
    public ReadOnlyMemory<float> Backward() => _hasGradient
        ? _dscores
        : throw new InvalidOperationException("TimeSoftmaxWithLoss: Backward needs a Forward in training first.");
}
