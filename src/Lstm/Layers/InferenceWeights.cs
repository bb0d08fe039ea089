using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>How a model keeps the weights it multiplies by when it generates, one row at a time.</summary>
public enum WeightPrecision
{
    /// <summary>The parameters themselves.</summary>
    Float32,

    /// <summary>A copy rounded to bfloat16 (8 bits of mantissa): half the bytes per token.</summary>
    BFloat16,

    /// <summary>A copy in int8 with one float scale per output (max |w| / 127 over the weights it sums): a quarter of the bytes per token.</summary>
    Int8,
}

/// <summary>
/// A reduced-precision copy of one weight matrix W [rows, cols] for products of a few rows, stored so that each output
/// is a dot product over one contiguous stored row: transposed (Wᵀ [cols, rows]) for x·W, as it is for x·Wᵀ and for
/// looking rows up. A snapshot: it does not follow later changes of the parameter.
/// </summary>
internal sealed class InferenceWeights
{
    /// <summary>At most this many rows use the copy: generation and other single-sequence steps, where reading the weights dominates.</summary>
    public const int MaxRows = 4;

    private readonly ushort[]? _bf16;
    private readonly sbyte[]? _int8;
    private readonly float[] _scales = [];
    private readonly int _rows, _cols;
    private readonly bool _transposed;

    private InferenceWeights(ReadOnlySpan<float> w, int rows, int cols, WeightPrecision precision, bool transposed)
    {
        (_rows, _cols, _transposed) = (rows, cols, transposed);
        var stored = w;
        if (transposed)
        {
            var t = new float[w.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                    t[(c * rows) + r] = w[(r * cols) + c];
            }
            stored = t;
        }
        if (precision == WeightPrecision.BFloat16)
            _bf16 = LowPrecision.ToBFloat16(stored);
        else
            (_int8, _scales) = transposed ? LowPrecision.ToInt8(stored, cols, rows) : LowPrecision.ToInt8(stored, rows, cols);
    }

    /// <summary>
    /// A copy of <paramref name="parameter"/> in <paramref name="precision"/> (null for <see cref="WeightPrecision.Float32"/>):
    /// for x·W when <paramref name="forInputRows"/>, else for x·Wᵀ and row look-ups.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown precision.</exception>
    public static InferenceWeights? Create(Parameter parameter, WeightPrecision precision, bool forInputRows) => precision switch
    {
        WeightPrecision.Float32 => null,
        WeightPrecision.BFloat16 or WeightPrecision.Int8 => new InferenceWeights(parameter.Value, parameter.Rows, parameter.Cols, precision, forInputRows),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Not a weight precision."),
    };

    /// <summary>The values the copy multiplies by, as floats in W's own layout: what a float model needs to compute the same products.</summary>
    public void Widen(Span<float> w)
    {
        for (int r = 0; r < _rows; r++)
        {
            for (int c = 0; c < _cols; c++)
                w[(r * _cols) + c] = _transposed ? Stored(c, r, _rows) : Stored(r, c, _cols);
        }
    }

    /// <summary>Row <paramref name="row"/> of W as floats (a copy made for row look-ups).</summary>
    public void WidenRow(int row, Span<float> w)
    {
        for (int c = 0; c < _cols; c++)
            w[c] = Stored(row, c, _cols);
    }

    /// <summary>Element (r, c) of the stored matrix, whose rows are <paramref name="width"/> long.</summary>
    private float Stored(int r, int c, int width)
    {
        int i = (r * width) + c;
        return _bf16 is not null ? LowPrecision.FromBFloat16(_bf16[i]) : _scales[r] * _int8![i];
    }

    /// <summary>y += x·W (a copy for input rows: x [rows] → y [cols]) or y += x·Wᵀ (x [cols] → y [rows]).</summary>
    public void MultiplyAdd(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_bf16 is not null)
            LowPrecision.AddDots(x, _bf16, y, Gemm.Threads);
        else
            LowPrecision.AddDots(x, _int8, _scales, y, Gemm.Threads);
    }
}
