using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The same affine map on every time step (the book's <c>TimeAffine</c>): x [N·T, H] → x·W + b [N·T, V].
/// With a tied weight, W is the embedding matrix E [V,H] and the map is x·Eᵀ + b.
/// </summary>
/// <remarks>Backward adds into the gradients of W (or E) and b, and writes dx = dout·Wᵀ.</remarks>
public sealed class TimeAffine
{
    private readonly Parameter _w, _b;
    private readonly bool _tied;

    // When b directly follows W in the parameter buffer, [W; b] is one (H+1)×V matrix and [x | 1]ᵀ·dout gives dW and
    // db in one product (db = Σ_rows dout is its last row), saving a pass over dout, the largest buffer of a model.
    private readonly bool _biasFollowsWeight;
    private float[] _xOnes = [];
    private ReadOnlyMemory<float> _x;
    private int _rows;
    private float[] _out = [], _dx = [];

    /// <summary>
    /// An affine map over <paramref name="w"/> [H,V] and <paramref name="b"/> [V], or, when <paramref name="transposedWeight"/>
    /// is set, over the transpose of <paramref name="w"/> [V,H] (weight tying with an embedding).
    /// </summary>
    /// <exception cref="ArgumentException">b does not have one value per output.</exception>
    public TimeAffine(Parameter w, Parameter b, bool transposedWeight = false)
    {
        (_w, _b, _tied) = (w, b, transposedWeight);
        _biasFollowsWeight = !transposedWeight && b.Set == w.Set && b.Offset == w.Offset + w.Length;
        if (b.Length != OutputSize)
            throw new ArgumentException($"b has {b.Length} values; expected one per output ({OutputSize}).", nameof(b));
    }

    /// <summary>H, the width of each input row.</summary>
    public int InputSize => _tied ? _w.Cols : _w.Rows;

    /// <summary>V, the width of each output row.</summary>
    public int OutputSize => _tied ? _w.Rows : _w.Cols;

    /// <summary>
    /// x [rows, H] → x·W + b [rows, V], valid until the next call. The layer does not read the result again, so the
    /// caller may overwrite it (a loss can put its gradient there).
    /// </summary>
    /// <exception cref="ArgumentException">x is not a whole number of rows of H.</exception>
    public Memory<float> Forward(ReadOnlyMemory<float> x)
    {
        int H = InputSize, V = OutputSize;
        if (x.Length == 0 || x.Length % H != 0)
            throw new ArgumentException($"x has {x.Length} values; expected a positive multiple of H = {H}.", nameof(x));
        int rows = x.Length / H;
        var output = Buffers.Ensure(ref _out, rows * V);
        (_x, _rows) = (x, rows);
        Gemm.MatMulBias(x.Span, H, Transpose.No, _w.Value, _w.Cols, _tied ? Transpose.Yes : Transpose.No, _b.Value, rows, V, H, output, V);
        return output;
    }

    /// <summary>dW += xᵀ·dout (dE += doutᵀ·x when tied), db += Σ_rows dout; returns dx = dout·Wᵀ [rows, H].</summary>
    /// <exception cref="ArgumentException">dout does not match the last forward pass.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Backward(ReadOnlySpan<float> dout)
    {
        int H = InputSize, V = OutputSize, rows = _rows;
        if (rows == 0 || dout.Length != rows * V)
            throw new ArgumentException($"dout has {dout.Length} values; expected {rows}×{V} from the last Forward.", nameof(dout));
        var dx = Buffers.Ensure(ref _dx, rows * H);
        if (_tied)
        {
            Gemm.MatMulAdd(dout, V, Transpose.Yes, _x.Span, H, Transpose.No, V, H, rows, _w.Grad, H);
            Gemm.MatMul(dout, V, Transpose.No, _w.Value, H, Transpose.No, rows, H, V, dx, H);
        }
        else if (_biasFollowsWeight)
        {
            var xOnes = Buffers.Ensure(ref _xOnes, rows * (H + 1));
            var x = _x.Span;
            for (int r = 0; r < rows; r++)
            {
                x.Slice(r * H, H).CopyTo(xOnes.AsSpan(r * (H + 1)));
                xOnes[(r * (H + 1)) + H] = 1f;
            }
            var weightAndBias = _w.Set.Gradients.AsSpan(_w.Offset, (H + 1) * V);
            Gemm.MatMulAdd(xOnes, H + 1, Transpose.Yes, dout, V, Transpose.No, H + 1, V, rows, weightAndBias, V);
            Gemm.MatMul(dout, V, Transpose.No, _w.Value, V, Transpose.Yes, rows, H, V, dx, H);
            return dx;
        }
        else
        {
            Gemm.MatMulAdd(_x.Span, H, Transpose.Yes, dout, V, Transpose.No, H, V, rows, _w.Grad, V);
            Gemm.MatMul(dout, V, Transpose.No, _w.Value, V, Transpose.Yes, rows, H, V, dx, H);
        }
        Elementwise.AddColumnSums(dout, rows, V, _b.Grad);
        return dx;
    }
}
