using System.Numerics.Tensors;

namespace Lstm.Layers;

/// <summary>
/// Softmax over V and mean cross-entropy over the N·T positions whose label is not <see cref="IgnoreLabel"/>
/// (the book's <c>TimeSoftmaxWithLoss</c>). Backward gives (softmax − onehot) / count, zero on ignored positions.
/// </summary>
public sealed class TimeSoftmaxWithLoss
{
    /// <summary>The label of a position that takes no part in the loss.</summary>
    public const int IgnoreLabel = -1;

    private float[] _probs = [];
    private int[] _labels = [];
    private int _count;

    /// <summary>Mean cross-entropy of scores [rows, V] against labels [rows] (labels in [0, V) or −1).</summary>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, V) and not −1.</exception>
    public float Forward(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels)
    {
        int rows = labels.Length;
        if (rows == 0 || scores.Length % rows != 0)
            throw new ArgumentException($"scores has {scores.Length} values, not a whole row for each of {rows} labels.", nameof(scores));
        int V = scores.Length / rows;
        var probs = Buffers.Ensure(ref _probs, scores.Length);
        labels.CopyTo(Buffers.Ensure(ref _labels, rows));
        double loss = 0;
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            int label = labels[r];
            if (label == IgnoreLabel)
                continue;
            if ((uint)label >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} at position {r} is outside [0, {V}) and is not the ignore label {IgnoreLabel}.");
            // Stable log-softmax: p = e^(x − max) / Σ e^(x − max); −log p[label] = log Σ − (x[label] − max).
            var x = scores.Slice(r * V, V);
            var p = probs.AsSpan(r * V, V);
            float max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, p);
            float shifted = p[label];
            TensorPrimitives.Exp(p, p);
            float sum = TensorPrimitives.Sum(p);
            TensorPrimitives.Divide(p, sum, p);
            loss += Math.Log(sum) - shifted;
            count++;
        }
        _count = count;
        return count == 0 ? 0f : (float)(loss / count);
    }

    /// <summary>dscores [rows, V] = (softmax − onehot(label)) / count, zero rows for ignored labels; valid until the next call.</summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    public ReadOnlyMemory<float> Backward()
    {
        int rows = _labels.Length;
        if (rows == 0)
            throw new InvalidOperationException("Backward needs a Forward first.");
        int V = _probs.Length / rows;
        float scale = _count == 0 ? 0f : 1f / _count;
        for (int r = 0; r < rows; r++)
        {
            var p = _probs.AsSpan(r * V, V);
            if (_labels[r] == IgnoreLabel)
            {
                p.Clear();
                continue;
            }
            p[_labels[r]] -= 1f;
            TensorPrimitives.Multiply(p, scale, p);
        }
        return _probs;
    }
}
