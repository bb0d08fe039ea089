using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The same affine map on every time step (the book's <c>TimeAffine</c>): xs [N,T,H] → xs·W + b [N,T,V].
/// With a tied weight, W is the embedding matrix E [V,H] and the map is xs·Eᵀ + b.
/// </summary>
/// <remarks>Backward adds into the gradients of W (or E) and b, and writes dxs = dys·Wᵀ.</remarks>
public sealed class TimeAffine : ILayer
{
    private InferenceWeights? _inference;
    private WeightPrecision _precision;
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
        (W, B, _tied) = (w, b, transposedWeight);
        _biasFollowsWeight = !transposedWeight && w.IsFollowedBy(b);
        if (b.Length != OutputSize)
            throw new ArgumentException($"b has {b.Length} values; expected one per output ({OutputSize}).", nameof(b));
        Parameters = [w, b];
    }

    /// <summary>
    /// Adds <c>{name}.W</c> [H,V] and <c>{name}.b</c> [V] to <paramref name="parameters"/>, initialised as in the book
    /// (W ~ N(0,1)/√H, b = 0), and returns the layer over them.
    /// </summary>
    public static TimeAffine Create(ParameterSet parameters, string name, int inputSize, int outputSize, RandomSource random)
    {
        var w = parameters.AddGaussian($"{name}.W", inputSize, outputSize, 1f / MathF.Sqrt(inputSize), random);
        return new TimeAffine(w, parameters.Add($"{name}.b", 1, outputSize));
    }

    /// <summary>W [H,V] (or the tied E [V,H]).</summary>
    public Parameter W { get; }

    /// <summary>b [V].</summary>
    public Parameter B { get; }

    /// <summary>Whether W is used transposed (tied to an embedding).</summary>
    public bool Tied => _tied;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>H, the width of each input row.</summary>
    public int InputSize => _tied ? W.Cols : W.Rows;

    /// <summary>V, the width of each output row.</summary>
    public int OutputSize => _tied ? W.Rows : W.Cols;

    /// <summary>
    /// Keeps W also in <paramref name="precision"/> for forward passes of at most 4 rows (generation): a snapshot of W now,
    /// which training refuses; <see cref="WeightPrecision.Float32"/> drops it.
    /// </summary>
    public void SetInferencePrecision(WeightPrecision precision) => SetInferenceWeights(InferenceWeights.Create(W, precision, forInputRows: !_tied), precision);

    /// <summary>As <see cref="SetInferencePrecision"/>, with a copy of W made elsewhere (shared with a tied embedding).</summary>
    internal void SetInferenceWeights(InferenceWeights? weights, WeightPrecision precision) => (_inference, _precision) = (weights, precision);

    /// <summary>xs [N,T,H] → xs·W + b [N,T,V], valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T rows of H.</exception>
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false)
    {
        int H = InputSize, V = OutputSize;
        shape.Validate(Math.Max(H + 1, V));
        int rows = shape.Rows;
        if (xs.Length != rows * H)
            throw new ArgumentException($"TimeAffine: xs has {xs.Length} values; expected N×T×H = {shape.BatchSize}×{shape.TimeSteps}×{H}.", nameof(xs));
        var output = Buffers.Ensure(ref _out, rows * V);
        (_x, _rows) = (xs, rows);
        if (_inference is not null)
        {
            if (training)
                throw new InvalidOperationException($"TimeAffine: its weights are in {_precision} for inference; set WeightPrecision.Float32 before training.");
            if (rows <= InferenceWeights.MaxRows)
            {
                for (int r = 0; r < rows; r++)
                {
                    var y = output.AsSpan(r * V, V);
                    B.Value.CopyTo(y);
                    _inference.MultiplyAdd(xs.Span.Slice(r * H, H), y);
                }
                return output;
            }
        }
        Gemm.MatMulBias(xs.Span, H, Transpose.No, W.Value, W.Cols, _tied ? Transpose.Yes : Transpose.No, B.Value, rows, V, H, output, V);
        return output;
    }

    /// <summary>dW += xsᵀ·dys (dE += dysᵀ·xs when tied), db += Σ_rows dys; returns dxs = dys·Wᵀ [N,T,H].</summary>
    /// <exception cref="ArgumentException">dys does not match the last forward pass.</exception>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        int H = InputSize, V = OutputSize, rows = _rows;
        if (rows == 0)
            throw new InvalidOperationException("TimeAffine: Backward needs a Forward first.");
        if (dys.Length != rows * V)
            throw new ArgumentException($"TimeAffine: dys has {dys.Length} values; expected {rows}×{V} from the last Forward.", nameof(dys));
        var dout = dys.Span;
        var dx = Buffers.Ensure(ref _dx, rows * H);
        if (_tied)
        {
            Gemm.MatMulAdd(dout, V, Transpose.Yes, _x.Span, H, Transpose.No, V, H, rows, W.Grad, H);
            Gemm.MatMul(dout, V, Transpose.No, W.Value, H, Transpose.No, rows, H, V, dx, H);
            Elementwise.AddColumnSums(dout, rows, V, B.Grad);
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
            Gemm.MatMulAdd(xOnes, H + 1, Transpose.Yes, dout, V, Transpose.No, H + 1, V, rows, W.GradWith(B), V);
            Gemm.MatMul(dout, V, Transpose.No, W.Value, V, Transpose.Yes, rows, H, V, dx, H);
        }
        else
        {
            Gemm.MatMulAdd(_x.Span, H, Transpose.Yes, dout, V, Transpose.No, H, V, rows, W.Grad, V);
            Gemm.MatMul(dout, V, Transpose.No, W.Value, V, Transpose.Yes, rows, H, V, dx, H);
            Elementwise.AddColumnSums(dout, rows, V, B.Grad);
        }
        return dx;
    }
}
