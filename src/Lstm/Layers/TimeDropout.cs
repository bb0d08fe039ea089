using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Layers;

/// <summary>
/// Inverted dropout (the book's <c>TimeDropout</c>): xs [N,T,D] → ys [N,T,D]. In training each value is kept with
/// probability 1 − ratio and scaled by 1 / (1 − ratio); in evaluation the layer is the identity.
/// </summary>
public sealed class TimeDropout : ILayer
{
    private readonly RandomSource _random;
    private float[] _mask = [], _out = [], _dx = [];
    private bool _applied;

    /// <summary>Dropout of <paramref name="ratio"/> ∈ [0, 1) over <paramref name="size"/> features, masks drawn from <paramref name="random"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ratio is outside [0, 1), or the size is not positive.</exception>
    public TimeDropout(float ratio, RandomSource random, int size)
    {
        if (!(ratio >= 0f && ratio < 1f))
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The dropout ratio must be in [0, 1).");
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        (Ratio, _random, InputSize) = (ratio, random, size);
    }

    /// <summary>The probability of dropping a value.</summary>
    public float Ratio { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public int InputSize { get; }

    /// <inheritdoc/>
    public int OutputSize => InputSize;

    /// <summary>xs ⊙ mask in training, xs itself in evaluation.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        shape.Validate(InputSize);
        if (xs.Length != shape.Rows * InputSize)
            throw new ArgumentException($"TimeDropout: xs has {xs.Length} values; expected N×T×D = {shape.BatchSize}×{shape.TimeSteps}×{InputSize}.", nameof(xs));
        _applied = training && Ratio > 0f;
        if (!_applied)
            return xs;
        var mask = Buffers.Ensure(ref _mask, xs.Length);
        var output = Buffers.Ensure(ref _out, xs.Length);
        float scale = 1f / (1f - Ratio);
        var x = xs.Span;
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = _random.NextSingle() >= Ratio ? scale : 0f;
            output[i] = x[i] * mask[i];
        }
        return output;
    }

    /// <summary>dxs = dys ⊙ mask (dys itself when the last forward pass was in evaluation).</summary>
    /// <exception cref="ArgumentException">dys does not match the last forward pass.</exception>
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        if (!_applied)
            return dys;
        if (dys.Length != _mask.Length)
            throw new ArgumentException($"TimeDropout: dys has {dys.Length} values; expected {_mask.Length} from the last Forward.", nameof(dys));
        var dx = Buffers.Ensure(ref _dx, dys.Length);
        TensorPrimitives.Multiply(dys.Span, _mask, dx);
        return dx;
    }
}
