using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The time loop shared by <see cref="TimeLSTM"/> and <see cref="TimeRNN"/>, with the matrix products arranged as
/// cuDNN and oneDNN do: the input projection of all N·T rows in one product before the loop, only h·Wh inside it,
/// and dWx, dWh, dxs in one product each after the backward loop. The layer supplies the element-wise cell.
/// G = 4H for the LSTM (gates f, g, i, o), H for the RNN.
/// </summary>
internal sealed class RecurrentCore
{
    private readonly Parameter _wx, _wh, _b;
    private readonly string _layer;
    private ReadOnlyMemory<float> _xs;
    private bool _hasState;

    // Per (N, T): pre-activations, then activations, A [N,T,G]; hs [N,T,H]; h_prev [N,T,H]; dA [N,T,G]; dxs [N,T,D].
    private float[] _a = [], _hs = [], _hPrev = [], _dA = [], _dxs = [];

    // Per N: carried h [N,H]; dh carried backward [N,H]; dh of the current step [N,H]. Per layer: Whᵀ [G,H].
    private float[] _h = [], _dh = [], _dhStep = [], _whT = [];

    // Wh as the per-step products read it (row stride _whLd): a copy only when rows of Wh would be a multiple of
    // 1 KB apart, which maps the rows a step reads onto the same few L1 sets; one cache line of padding breaks that.
    private float[] _whPadded = [];
    private int _whLd;

    public RecurrentCore(Parameter wx, Parameter wh, Parameter b, int gates, bool stateful, string layer)
    {
        int H = wh.Rows;
        if (wh.Cols != gates * H)
            throw new ArgumentException($"{layer}: Wh is {wh.Rows}×{wh.Cols}; expected H×{gates}H = {H}×{gates * H}.", nameof(wh));
        if (wx.Cols != gates * H)
            throw new ArgumentException($"{layer}: Wx is {wx.Rows}×{wx.Cols}; expected D×{gates}H = {wx.Rows}×{gates * H}.", nameof(wx));
        if (b.Length != gates * H)
            throw new ArgumentException($"{layer}: b has {b.Length} values; expected {gates}H = {gates * H}.", nameof(b));
        (_wx, _wh, _b, _layer, Stateful) = (wx, wh, b, layer, stateful);
    }

    public bool Stateful { get; }

    public int D => _wx.Rows;

    public int H => _wh.Rows;

    /// <summary>G, the width of one row of pre-activations.</summary>
    public int G => _wh.Cols;

    public int N { get; private set; }

    public int T { get; private set; }

    /// <summary>Whether this forward pass started from a carried state.</summary>
    public bool Carried { get; private set; }

    public bool HasState => _hasState;

    /// <summary>A [N,T,G]: the cell turns its pre-activations into whatever its backward step needs.</summary>
    public Span<float> A => _a;

    public Span<float> Hs => _hs;

    /// <summary>hs [N,T,H], the layer's output.</summary>
    public ReadOnlyMemory<float> Output => _hs;

    public Span<float> HState => _h;

    public Span<float> DA => _dA;

    public ReadOnlySpan<float> Dh => _dh;

    /// <summary>The dh of one step (dhs[:, t] plus the carried dh), row n.</summary>
    public Span<float> DhStep(int n) => _dhStep.AsSpan(n * H, H);

    public void ResetState() => _hasState = false;

    public void SetState(ReadOnlySpan<float> h)
    {
        h.CopyTo(Buffers.Ensure(ref _h, h.Length));
        _hasState = true;
    }

    /// <summary>Checks xs, sizes the buffers, zeroes h unless a state carries over, and computes A = xs·Wx + b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginForward(ReadOnlyMemory<float> xs, int batchSize, int timeSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeSteps, 1);
        int N = batchSize, T = timeSteps, D = this.D, H = this.H, G = this.G;
        if (xs.Length != N * T * D)
            throw new ArgumentException($"{_layer}: xs has {xs.Length} values; expected N×T×D = {N}×{T}×{D}.", nameof(xs));
        Carried = Stateful && _hasState;
        if (Carried && _h.Length != N * H)
            throw new ArgumentException($"{_layer}: batchSize is {N} but the carried state has {_h.Length / H} rows; call ResetState first.", nameof(batchSize));

        Buffers.Ensure(ref _a, N * T * G);
        Buffers.Ensure(ref _dA, N * T * G);
        Buffers.Ensure(ref _hs, N * T * H);
        Buffers.Ensure(ref _hPrev, N * T * H);
        Buffers.Ensure(ref _dxs, N * T * D);
        Buffers.Ensure(ref _h, N * H);
        Buffers.Ensure(ref _dh, N * H);
        Buffers.Ensure(ref _dhStep, N * H);
        (this.N, this.T, _xs) = (N, T, xs);
        if (!Carried)
            Array.Clear(_h);

        Gemm.MatMulBias(xs.Span, D, Transpose.No, _wx.Value, G, Transpose.No, _b.Value, N * T, G, D, _a, G);

        _whLd = Padded(G);
        if (_whLd != G)
        {
            var padded = Buffers.Ensure(ref _whPadded, H * _whLd);
            for (int r = 0; r < H; r++)
                _wh.Value.Slice(r * G, G).CopyTo(padded.AsSpan(r * _whLd));
        }
    }

    /// <summary>A row stride that is not a multiple of 1 KB (256 floats): such rows alias in the L1 cache.</summary>
    private static int Padded(int width) => width % 256 == 0 ? width + 16 : width;

    private ReadOnlySpan<float> WhForSteps => _whLd == G ? _wh.Value : _whPadded;

    /// <summary>A[:, t] += h_prev·Wh, h_prev being the carried state at t = 0 and hs[:, t−1] after.</summary>
    public void AddRecurrent(int t)
    {
        int H = this.H, G = this.G;
        if (t > 0)
            Gemm.MatMulAdd(_hs.AsSpan((t - 1) * H), T * H, Transpose.No, WhForSteps, _whLd, Transpose.No, N, G, H, _a.AsSpan(t * G), T * G);
        else if (Carried)
            Gemm.MatMulAdd(_h, H, Transpose.No, WhForSteps, _whLd, Transpose.No, N, G, H, _a, T * G);
    }

    /// <summary>Records h_prev of every (n, t) for dWh, and keeps the last h as the state when stateful.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EndForward()
    {
        int H = this.H, T = this.T;
        for (int n = 0; n < N; n++)
        {
            _h.AsSpan(n * H, H).CopyTo(_hPrev.AsSpan(n * T * H));
            _hs.AsSpan(n * T * H, (T - 1) * H).CopyTo(_hPrev.AsSpan((n * T + 1) * H));
            _hs.AsSpan((n * T + T - 1) * H, H).CopyTo(_h.AsSpan(n * H));
        }
        _hasState = Stateful;
    }

    /// <summary>Checks dhs, zeroes the carried dh and makes Whᵀ [G,H], so each step's dh_prev = dA_t·Whᵀ reads it in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginBackward(ReadOnlyMemory<float> dhs)
    {
        int H = this.H, G = this.G;
        if (N == 0)
            throw new InvalidOperationException($"{_layer}: Backward needs a Forward first.");
        if (dhs.Length != N * T * H)
            throw new ArgumentException($"{_layer}: dhs has {dhs.Length} values; expected N×T×H = {N}×{T}×{H}.", nameof(dhs));
        Array.Clear(_dh);
        int ld = Padded(H);
        var whT = Buffers.Ensure(ref _whT, G * ld);
        var wh = _wh.Value;
        for (int r = 0; r < H; r++)
        {
            for (int c = 0; c < G; c++)
                whT[c * ld + r] = wh[r * G + c];
        }
    }

    /// <summary>The dh of step t for every row: dhs[:, t] + the dh carried from step t+1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GatherDh(ReadOnlySpan<float> dhs, int t)
    {
        int H = this.H;
        for (int n = 0; n < N; n++)
            TensorPrimitives.Add(dhs.Slice((n * T + t) * H, H), _dh.AsSpan(n * H, H), _dhStep.AsSpan(n * H, H));
    }

    /// <summary>dh_prev = dA[:, t]·Whᵀ, carried to step t−1 (and kept as <see cref="Dh"/> after t = 0).</summary>
    public void BackwardRecurrent(int t)
        => Gemm.MatMul(_dA.AsSpan(t * G), T * G, Transpose.No, _whT, Padded(H), Transpose.No, N, H, G, _dh, H);

    /// <summary>dWx += xsᵀ·dA, dWh += h_prevᵀ·dA, db += Σ_rows dA (added into the gradients); returns dxs = dA·Wxᵀ.</summary>
    public ReadOnlyMemory<float> EndBackward()
    {
        int D = this.D, H = this.H, G = this.G, rows = N * T;
        Gemm.MatMulAdd(_xs.Span, D, Transpose.Yes, _dA, G, Transpose.No, D, G, rows, _wx.Grad, G);
        Gemm.MatMulAdd(_hPrev, H, Transpose.Yes, _dA, G, Transpose.No, H, G, rows, _wh.Grad, G);
        Elementwise.AddColumnSums(_dA, rows, G, _b.Grad);
        Gemm.MatMul(_dA, G, Transpose.No, _wx.Value, G, Transpose.Yes, rows, D, G, _dxs, D);
        return _dxs;
    }
}
