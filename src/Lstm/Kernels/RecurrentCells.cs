using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Kernels;

/// <summary>
/// The element-wise work of one time step of an LSTM or a plain RNN, one batch row at a time (H values per gate).
/// Gate order f, g, i, o, as in the book.
/// </summary>
internal static class RecurrentCells
{
    /// <summary>
    /// LSTM forward: f = σ(a_f), g = tanh(a_g), i = σ(a_i), o = σ(a_o) (in place in <paramref name="gates"/> [4H]);
    /// c = f ⊙ c_prev + g ⊙ i; tanh(c); h = o ⊙ tanh(c).
    /// </summary>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> h)
    {
        int H = c.Length;
        var f = gates[..H];
        var g = gates.Slice(H, H);
        var io = gates.Slice(2 * H, 2 * H);
        TensorPrimitives.Sigmoid(f, f);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(io, io);
        TensorPrimitives.Multiply(f, cPrev, c);
        TensorPrimitives.FusedMultiplyAdd(g, io[..H], c, c);
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(io[H..], tanhC, h);
    }

    /// <summary>
    /// LSTM backward, from the activated <paramref name="gates"/> [4H]:
    /// ds = dc_next + dh ⊙ o ⊙ (1 − tanh²c); dc_prev = ds ⊙ f;
    /// dA = [ds ⊙ c_prev ⊙ f(1−f) | ds ⊙ i ⊙ (1−g²) | ds ⊙ g ⊙ i(1−i) | dh ⊙ tanh c ⊙ o(1−o)].
    /// <paramref name="dc"/> holds dc_next on entry and dc_prev on return.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC,
        ReadOnlySpan<float> dh, Span<float> dc, Span<float> dA)
    {
        int H = dc.Length, j = 0;
        var f = gates[..H];
        var g = gates.Slice(H, H);
        var i = gates.Slice(2 * H, H);
        var o = gates.Slice(3 * H, H);
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; j <= H - Vector<float>.Count; j += Vector<float>.Count)
            {
                var fv = new Vector<float>(f[j..]);
                var gv = new Vector<float>(g[j..]);
                var iv = new Vector<float>(i[j..]);
                var ov = new Vector<float>(o[j..]);
                var tc = new Vector<float>(tanhC[j..]);
                var dhv = new Vector<float>(dh[j..]);
                var ds = new Vector<float>(dc[j..]) + dhv * ov * (one - tc * tc);
                (ds * fv).CopyTo(dc[j..]);
                (ds * new Vector<float>(cPrev[j..]) * fv * (one - fv)).CopyTo(dA[j..]);
                (ds * iv * (one - gv * gv)).CopyTo(dA[(H + j)..]);
                (ds * gv * iv * (one - iv)).CopyTo(dA[(2 * H + j)..]);
                (dhv * tc * ov * (one - ov)).CopyTo(dA[(3 * H + j)..]);
            }
        }

        for (; j < H; j++)
        {
            float tc = tanhC[j];
            float ds = dc[j] + dh[j] * o[j] * (1 - tc * tc);
            dc[j] = ds * f[j];
            dA[j] = ds * cPrev[j] * f[j] * (1 - f[j]);
            dA[H + j] = ds * i[j] * (1 - g[j] * g[j]);
            dA[2 * H + j] = ds * g[j] * i[j] * (1 - i[j]);
            dA[3 * H + j] = dh[j] * tc * o[j] * (1 - o[j]);
        }
    }

    /// <summary>RNN forward: h = tanh(a), in place.</summary>
    public static void RnnForward(Span<float> a) => TensorPrimitives.Tanh(a, a);

    /// <summary>RNN backward: dA = dh ⊙ (1 − h²).</summary>
    public static void RnnBackward(ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dA)
    {
        TensorPrimitives.Multiply(h, h, dA);
        TensorPrimitives.Subtract(1f, dA, dA);
        TensorPrimitives.Multiply(dA, dh, dA);
    }
}
