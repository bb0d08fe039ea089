using System.Runtime.CompilerServices;

namespace Lstm.Layers;

/// <summary>
/// Mean squared error for regression: ys [N,T,K] against targets of the same shape →
/// L = Σ (y − t)² / (N·T·K) (PyTorch's <c>MSELoss</c>); backward gives dys = 2 (y − t) / (N·T·K).
/// </summary>
public sealed class TimeMeanSquaredError : ILossLayer
{
    private float[] _dys = [];
    private bool _hasGradient;

    /// <summary>The mean of (y − t)² over every value; in training also the gradient.</summary>
    /// <exception cref="ArgumentException">ys and targets differ in length, or are not whole rows of the shape.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Forward(ReadOnlyMemory<float> ys, ReadOnlyMemory<float> targets, SequenceShape shape, bool training)
    {
        var y = ys.Span;
        var t = targets.Span;
        if (y.Length != t.Length)
            throw new ArgumentException($"TimeMeanSquaredError: {t.Length} targets for {y.Length} outputs; expected one each.", nameof(targets));
        if (y.Length == 0 || y.Length % shape.Rows != 0)
            throw new ArgumentException($"TimeMeanSquaredError: {y.Length} outputs are not whole rows of N×T = {shape.BatchSize}×{shape.TimeSteps}.", nameof(ys));
        _hasGradient = false;
        var dys = training ? Buffers.Ensure(ref _dys, y.Length) : null;
        double sum = 0;
        float scale = 2f / y.Length;
        for (int i = 0; i < y.Length; i++)
        {
            float d = y[i] - t[i];
            sum += (double)d * d;
            if (dys is not null)
                dys[i] = scale * d;
        }
        _hasGradient = training;
        return (float)(sum / y.Length);
    }

    /// <summary>dys = 2 (y − t) / (N·T·K), valid until the next call.</summary>
    /// <exception cref="InvalidOperationException">The last forward pass did not compute the gradient.</exception>
    public ReadOnlyMemory<float> Backward() => _hasGradient
        ? _dys
        : throw new InvalidOperationException("TimeMeanSquaredError: Backward needs a Forward in training first.");
}
