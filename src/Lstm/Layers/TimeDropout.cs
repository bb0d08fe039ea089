using System.Runtime.CompilerServices;

namespace Lstm.Layers;

/// <summary>
/// Inverted dropout (the book's <c>TimeDropout</c>): in training each value is kept with probability 1 − ratio and
/// scaled by 1 / (1 − ratio); in evaluation the layer is the identity.
/// </summary>
public sealed class TimeDropout
{
    private readonly RandomSource _random;
    private float[] _mask = [], _out = [], _dx = [];
    private bool _applied;

    /// <summary>Dropout of <paramref name="ratio"/> ∈ [0, 1), masks drawn from <paramref name="random"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ratio is outside [0, 1).</exception>
    public TimeDropout(float ratio, RandomSource random)
    {
        if (!(ratio >= 0f && ratio < 1f))
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The dropout ratio must be in [0, 1).");
        (Ratio, _random) = (ratio, random);
    }

    /// <summary>The probability of dropping a value.</summary>
    public float Ratio { get; }

    /// <summary>x ⊙ mask in training, x itself in evaluation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> x, bool training)
    {
        _applied = training && Ratio > 0f;
        if (!_applied)
            return x;
        var mask = Buffers.Ensure(ref _mask, x.Length);
        var output = Buffers.Ensure(ref _out, x.Length);
        float scale = 1f / (1f - Ratio);
        var xs = x.Span;
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = _random.NextSingle() >= Ratio ? scale : 0f;
            output[i] = xs[i] * mask[i];
        }
        return output;
    }

    /// <summary>dx = dout ⊙ mask (dout itself when the last forward pass was in evaluation).</summary>
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dout)
    {
        if (!_applied)
            return dout;
        if (dout.Length != _mask.Length)
            throw new ArgumentException($"dout has {dout.Length} values; expected {_mask.Length} from the last Forward.", nameof(dout));
        var dx = Buffers.Ensure(ref _dx, dout.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(dout.Span, _mask, dx);
        return dx;
    }
}
