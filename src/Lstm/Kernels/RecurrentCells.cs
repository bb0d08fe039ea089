using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Kernels;

/// <summary>
/// The element-wise work of one time step of an LSTM, a GRU or a plain RNN, one batch row at a time (H values per gate).
/// Gate order f, g, i, o for the LSTM, as in the book; r, z, n for the GRU, as in PyTorch.
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
        TensorPrimitives.MultiplyAddEstimate(g, io[..H], c, c);
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

    /// <summary>
    /// GRU forward (PyTorch's formulation), from the input part <paramref name="gates"/> [3H] = x·Wx + b and the recurrent
    /// part <paramref name="ah"/> [3H] = h_prev·Wh + [0, 0, b_hn], gates r, z, n:
    /// r = σ(a_r + ah_r), z = σ(a_z + ah_z), n = tanh(a_n + r ⊙ ah_n) (in place in <paramref name="gates"/>);
    /// h = (1 − z) ⊙ n + z ⊙ h_prev.
    /// </summary>
    public static void GruForward(Span<float> gates, ReadOnlySpan<float> ah, ReadOnlySpan<float> hPrev, Span<float> h)
    {
        int H = h.Length;
        var rz = gates[..(2 * H)];
        var r = gates[..H];
        var z = gates.Slice(H, H);
        var n = gates.Slice(2 * H, H);
        TensorPrimitives.Add(rz, ah[..(2 * H)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        TensorPrimitives.MultiplyAddEstimate(r, ah.Slice(2 * H, H), n, n);
        TensorPrimitives.Tanh(n, n);
        TensorPrimitives.Subtract(hPrev, n, h);
        TensorPrimitives.MultiplyAddEstimate(z, h, n, h);
    }

    /// <summary>
    /// GRU backward, from the activated <paramref name="gates"/> r, z, n [3H] and the recurrent part <paramref name="ah"/>:
    /// dn = dh ⊙ (1 − z) ⊙ (1 − n²); dr = dn ⊙ ah_n ⊙ r(1 − r); dz = dh ⊙ (h_prev − n) ⊙ z(1 − z);
    /// dA = [dr | dz | dn] (the input part), dAh = [dr | dz | dn ⊙ r] (the recurrent part), and the direct path
    /// dh_prev = dh ⊙ z (written; the recurrent product adds dAh·Whᵀ to it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> ah, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dh,
        Span<float> dA, Span<float> dAh, Span<float> dhPrev)
    {
        int H = dh.Length, j = 0;
        var r = gates[..H];
        var z = gates.Slice(H, H);
        var n = gates.Slice(2 * H, H);
        var hn = ah.Slice(2 * H, H);
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; j <= H - Vector<float>.Count; j += Vector<float>.Count)
            {
                var rv = new Vector<float>(r[j..]);
                var zv = new Vector<float>(z[j..]);
                var nv = new Vector<float>(n[j..]);
                var dhv = new Vector<float>(dh[j..]);
                var dn = dhv * (one - zv) * (one - nv * nv);
                var dr = dn * new Vector<float>(hn[j..]) * rv * (one - rv);
                var dz = dhv * (new Vector<float>(hPrev[j..]) - nv) * zv * (one - zv);
                dr.CopyTo(dA[j..]);
                dz.CopyTo(dA[(H + j)..]);
                dn.CopyTo(dA[(2 * H + j)..]);
                dr.CopyTo(dAh[j..]);
                dz.CopyTo(dAh[(H + j)..]);
                (dn * rv).CopyTo(dAh[(2 * H + j)..]);
                (dhv * zv).CopyTo(dhPrev[j..]);
            }
        }

        for (; j < H; j++)
        {
            float dn = dh[j] * (1 - z[j]) * (1 - n[j] * n[j]);
            float dr = dn * hn[j] * r[j] * (1 - r[j]);
            float dz = dh[j] * (hPrev[j] - n[j]) * z[j] * (1 - z[j]);
            dA[j] = dAh[j] = dr;
            dA[H + j] = dAh[H + j] = dz;
            dA[2 * H + j] = dn;
            dAh[2 * H + j] = dn * r[j];
            dhPrev[j] = dh[j] * z[j];
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
