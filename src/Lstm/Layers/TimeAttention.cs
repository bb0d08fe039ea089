using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The book's parameter-free dot-product attention (<c>TimeAttention</c>, chapter 8): for each decoder state d_t, the
/// weights a_t = softmax over s of (hs_s · d_t) across the encoder states hs [N,Ts,H], and the context
/// c_t = Σ_s a_ts hs_s. hs [N,Ts,H] and ds [N,Td,H] → cs [N,Td,H]; the weights [N,Td,Ts] stay readable.
/// </summary>
/// <remarks>
/// Two inputs, so not an <see cref="ILayer"/>: an encoder–decoder wires it. <see cref="Backward"/> writes the gradients
/// of both inputs; the model adds the decoder states' one to the gradient they get from elsewhere.
/// </remarks>
public sealed class TimeAttention
{
    private ReadOnlyMemory<float> _hs, _ds;
    private int _n, _ts, _td, _h;
    private float[] _weights = [], _cs = [], _dhs = [], _dds = [], _dWeights = [];

    /// <summary>The attention weights [N,Td,Ts] of the last <see cref="Forward"/>: row (n, t) sums to 1 over the encoder steps.</summary>
    public ReadOnlySpan<float> Weights => _weights.AsSpan(0, _n * _td * _ts);

    /// <summary>Contexts cs [N,Td,H] of the decoder states <paramref name="ds"/> [N,Td,H] over the encoder states <paramref name="hs"/> [N,Ts,H].</summary>
    /// <exception cref="ArgumentException">The buffers do not fit the sizes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> hs, SequenceShape encoderShape, ReadOnlyMemory<float> ds, int decoderSteps, int hiddenSize)
    {
        encoderShape.Validate(hiddenSize);
        int N = encoderShape.BatchSize, Ts = encoderShape.TimeSteps, Td = decoderSteps, H = hiddenSize;
        if (hs.Length != N * Ts * H)
            throw new ArgumentException($"TimeAttention: hs has {hs.Length} values; expected N×Ts×H = {N}×{Ts}×{H}.", nameof(hs));
        if (Td < 1 || ds.Length != N * Td * H)
            throw new ArgumentException($"TimeAttention: ds has {ds.Length} values; expected N×Td×H = {N}×{Td}×{H}.", nameof(ds));
        (_hs, _ds, _n, _ts, _td, _h) = (hs, ds, N, Ts, Td, H);
        var weights = Buffers.Ensure(ref _weights, N * Td * Ts);
        var cs = Buffers.Ensure(ref _cs, N * Td * H);
        for (int n = 0; n < N; n++)
        {
            var hsN = hs.Span.Slice(n * Ts * H, Ts * H);
            var a = weights.AsSpan(n * Td * Ts, Td * Ts);
            // scores [Td,Ts] = ds_n · hs_nᵀ, a softmax per row, then cs_n [Td,H] = a · hs_n.
            Gemm.MatMul(ds.Span.Slice(n * Td * H, Td * H), H, Transpose.No, hsN, H, Transpose.Yes, Td, Ts, H, a, Ts);
            for (int t = 0; t < Td; t++)
            {
                var row = a.Slice(t * Ts, Ts);
                float sum = Elementwise.ExpShiftedSum(row, TensorPrimitives.Max(row), row);
                TensorPrimitives.Multiply(row, 1f / sum, row);
            }
            Gemm.MatMul(a, Ts, Transpose.No, hsN, H, Transpose.No, Td, H, Ts, cs.AsSpan(n * Td * H, Td * H), H);
        }
        return _cs.AsMemory(0, N * Td * H);
    }

    /// <summary>
    /// From dcs [N,Td,H]: dhs [N,Ts,H] = aᵀ·dcs + dscoresᵀ·ds and dds [N,Td,H] = dscores·hs, with
    /// dscores = a ⊙ (da − Σ_s a ⊙ da), da = dcs·hsᵀ. Both valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dcs does not match the last forward pass.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (ReadOnlyMemory<float> Dhs, ReadOnlyMemory<float> Dds) Backward(ReadOnlyMemory<float> dcs)
    {
        int N = _n, Ts = _ts, Td = _td, H = _h;
        if (N == 0)
            throw new InvalidOperationException("TimeAttention: Backward needs a Forward first.");
        if (dcs.Length != N * Td * H)
            throw new ArgumentException($"TimeAttention: dcs has {dcs.Length} values; expected {N}×{Td}×{H}.", nameof(dcs));
        var dhs = Buffers.Ensure(ref _dhs, N * Ts * H);
        var dds = Buffers.Ensure(ref _dds, N * Td * H);
        var da = Buffers.Ensure(ref _dWeights, Td * Ts);
        for (int n = 0; n < N; n++)
        {
            var hsN = _hs.Span.Slice(n * Ts * H, Ts * H);
            var dsN = _ds.Span.Slice(n * Td * H, Td * H);
            var dc = dcs.Span.Slice(n * Td * H, Td * H);
            var a = _weights.AsSpan(n * Td * Ts, Td * Ts);
            var dhsN = dhs.AsSpan(n * Ts * H, Ts * H);
            Gemm.MatMul(dc, H, Transpose.No, hsN, H, Transpose.Yes, Td, Ts, H, da, Ts);
            Gemm.MatMul(a, Ts, Transpose.Yes, dc, H, Transpose.No, Ts, H, Td, dhsN, H);
            for (int t = 0; t < Td; t++)
            {
                var aRow = a.Slice(t * Ts, Ts);
                var daRow = da.AsSpan(t * Ts, Ts);
                float dot = TensorPrimitives.Dot(aRow, daRow);
                TensorPrimitives.Subtract(daRow, dot, daRow);
                TensorPrimitives.Multiply(daRow, aRow, daRow);
            }
            Gemm.MatMul(da, Ts, Transpose.No, hsN, H, Transpose.No, Td, H, Ts, dds.AsSpan(n * Td * H, Td * H), H);
            Gemm.MatMulAdd(da, Ts, Transpose.Yes, dsN, H, Transpose.No, Ts, H, Td, dhsN, H);
        }
        return (dhs, dds);
    }
}
