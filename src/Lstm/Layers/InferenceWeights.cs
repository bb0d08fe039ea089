using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>How a model keeps the weights it multiplies by when it generates, one row at a time.</summary>
public enum WeightPrecision
{
    /// <summary>The parameters themselves.</summary>
    Float32,

    /// <summary>A copy rounded to bfloat16 (8 bits of mantissa): half the bytes per token.</summary>
    BFloat16,

    /// <summary>A copy in int8 with one float scale per row (max |w| / 127): a quarter of the bytes per token.</summary>
    Int8,
}

/// <summary>
/// A reduced-precision copy of one weight matrix [rows, cols], for products of a few rows: x·W (x of rows values) or
/// x·Wᵀ (x of cols values). A snapshot: it does not follow later changes of the parameter.
/// </summary>
internal sealed class InferenceWeights
{
    /// <summary>At most this many rows use the copy: generation and other single-sequence steps, where reading the weights dominates.</summary>
    public const int MaxRows = 4;

    private readonly ushort[]? _bf16;
    private readonly sbyte[]? _int8;
    private readonly float[] _scales = [];
    private readonly int _cols;

    private InferenceWeights(ReadOnlySpan<float> w, int rows, int cols, WeightPrecision precision)
    {
        _cols = cols;
        if (precision == WeightPrecision.BFloat16)
            _bf16 = LowPrecision.ToBFloat16(w);
        else
            (_int8, _scales) = LowPrecision.ToInt8(w, rows, cols);
    }

    /// <summary>A copy of <paramref name="parameter"/> in <paramref name="precision"/>, or null for <see cref="WeightPrecision.Float32"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown precision.</exception>
    public static InferenceWeights? Create(Parameter parameter, WeightPrecision precision) => precision switch
    {
        WeightPrecision.Float32 => null,
        WeightPrecision.BFloat16 or WeightPrecision.Int8 => new InferenceWeights(parameter.Value, parameter.Rows, parameter.Cols, precision),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Not a weight precision."),
    };

    /// <summary>The values the copy multiplies by, as floats: what a float model would need to compute the same products.</summary>
    public void Widen(Span<float> w)
    {
        for (int row = 0; row < w.Length / _cols; row++)
            WidenRow(row, w.Slice(row * _cols, _cols));
    }

    /// <summary>Row <paramref name="row"/> of W as floats.</summary>
    public void WidenRow(int row, Span<float> w)
    {
        for (int c = 0; c < _cols; c++)
        {
            int i = (row * _cols) + c;
            w[c] = _bf16 is not null ? LowPrecision.FromBFloat16(_bf16[i]) : _scales[row] * _int8![i];
        }
    }

    /// <summary>y += x·W for one row x [rows] → y [cols].</summary>
    public void AddRows(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_bf16 is not null)
            LowPrecision.AddRows(x, _bf16, y, Gemm.Threads);
        else
            LowPrecision.AddRows(x, _int8, _scales, y, Gemm.Threads);
    }

    /// <summary>y += x·Wᵀ for one row x [cols] → y [rows].</summary>
    public void AddDots(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_bf16 is not null)
            LowPrecision.AddDots(x, _bf16, y, Gemm.Threads);
        else
            LowPrecision.AddDots(x, _int8, _scales, y, Gemm.Threads);
    }
}
