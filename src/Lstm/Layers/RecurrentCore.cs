using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The time loop shared by <see cref="TimeLSTM"/>, <see cref="TimeRNN"/> and <see cref="TimeGRU"/>, with the matrix
/// products arranged as cuDNN and oneDNN do: the input projection of all N·T rows in one product before the loop, only
/// h·Wh inside it, and dWx, dWh, dxs in one product each after the backward loop. The layer supplies the element-wise
/// cell. G = 4H for the LSTM (gates f, g, i, o), 3H for the GRU (r, z, n), H for the RNN.
/// </summary>
/// <remarks>
/// The LSTM and the RNN add h·Wh into the pre-activations A, and one dA serves dWx and dWh. The GRU needs h·Wh apart
/// (its n gate multiplies the recurrent part by r), so with <c>separateRecurrent</c> the products go to Ah [N,T,G] and
/// the recurrent gradient to its own dAh.
/// </remarks>
internal sealed class RecurrentCore
{
    private readonly Parameter _wx, _wh, _b;
    private InferenceWeights? _inferenceWx, _inferenceWh;
    private WeightPrecision _precision;
    private readonly string _layer;
    private ReadOnlyMemory<float> _xs;
    private bool _hasState, _hasBackward;

    // Per-sequence lengths of the batch (empty: all T) and the shortest: from step _minLength on, some rows are frozen.
    // With lengths in decreasing order (the order cuDNN's packed sequences need), the rows still running at step t are
    // the first _running[t], and the per-step products skip the rest.
    private int[] _lengths = [], _running = [];
    private int _minLength;

    // With padding, the products over every row (the input projection, dWx, dWh, dxs) run over the R real rows only,
    // packed one sequence after another: xs [R,D], A or dA [R,G], dAh [R,G], h_prev [R,H], dxs [R,D].
    private bool _packed;
    private int _realRows;
    private float[] _packedX = [], _packedA = [], _packedAh = [], _packedH = [], _packedDx = [];

    // Per (N, T): pre-activations, then activations, A [N,T,G]; hs [N,T,H]; h_prev [N,T,H]; dA [N,T,G]; dxs [N,T,D];
    // with a separate recurrent part, h_prev·Wh + its bias Ah [N,T,G] and dAh [N,T,G] (otherwise dAh is dA).
    private float[] _a = [], _hs = [], _hPrev = [], _dA = [], _dxs = [], _ah = [], _dAh = [];
    private readonly bool _separateRecurrent;

    // Per N: carried h [N,H]; dh carried backward [N,H]; dh of the current step [N,H]; the last step's h [N,H] when
    // only that is returned. Per layer: Whᵀ [G,H].
    private float[] _h = [], _dh = [], _dhStep = [], _last = [], _whT = [];

    // Wh as the per-step products read it (row stride _whLd): a copy only when rows of Wh would be a multiple of
    // 1 KB apart, which maps the rows a step reads onto the same few L1 sets; one cache line of padding breaks that.
    private float[] _whPadded = [];
    private int _whLd;

    public RecurrentCore(Parameter wx, Parameter wh, Parameter b, int gates, bool stateful, bool returnSequences, string layer, bool separateRecurrent = false)
    {
        int H = wh.Rows;
        if (wh.Cols != gates * H)
            throw new ArgumentException($"{layer}: Wh is {wh.Rows}×{wh.Cols}; expected H×{gates}H = {H}×{gates * H}.", nameof(wh));
        if (wx.Cols != gates * H)
            throw new ArgumentException($"{layer}: Wx is {wx.Rows}×{wx.Cols}; expected D×{gates}H = {wx.Rows}×{gates * H}.", nameof(wx));
        if (b.Length != gates * H)
            throw new ArgumentException($"{layer}: b has {b.Length} values; expected {gates}H = {gates * H}.", nameof(b));
        (_wx, _wh, _b, _layer, Stateful, ReturnSequences, _separateRecurrent) = (wx, wh, b, layer, stateful, returnSequences, separateRecurrent);
        Parameters = [wx, wh, b];
    }

    /// <summary>Adds {name}.Wx [D,G], {name}.Wh [H,G], {name}.b [G] with the book's initialisation: N(0,1)/√D, N(0,1)/√H, 0.</summary>
    public static (Parameter Wx, Parameter Wh, Parameter B) AddParameters(ParameterSet parameters, string name, int inputSize, int hiddenSize, int gates, RandomSource random)
    {
        var wx = parameters.AddGaussian($"{name}.Wx", inputSize, gates * hiddenSize, 1f / MathF.Sqrt(inputSize), random);
        var wh = parameters.AddGaussian($"{name}.Wh", hiddenSize, gates * hiddenSize, 1f / MathF.Sqrt(hiddenSize), random);
        var b = parameters.Add($"{name}.b", 1, gates * hiddenSize);
        return (wx, wh, b);
    }

    public IReadOnlyList<Parameter> Parameters { get; }

    public Parameter Wx => _wx;

    public Parameter Wh => _wh;

    public Parameter B => _b;

    public bool Stateful { get; }

    public bool ReturnSequences { get; }

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

    /// <summary>h_prev [N,T,H] of every step, recorded by <see cref="EndForward"/>.</summary>
    public ReadOnlySpan<float> HPrev => _hPrev;

    /// <summary>The layer's output: hs [N,T,H], or the last step's h [N,1,H].</summary>
    public ReadOnlyMemory<float> Output => ReturnSequences ? _hs : _last;

    public SequenceShape OutputShape(SequenceShape input) => ReturnSequences ? input : input with { TimeSteps = 1, Lengths = default };

    /// <summary>Whether row n is still in its sequence at step t; past its length its state is frozen: h_t = h_{t−1}.</summary>
    public bool Active(int n, int t) => t < _minLength || t < _lengths[n];

    public Span<float> HState => _h;

    public Span<float> DA => _dA;

    /// <summary>Ah [N,T,G], h_prev·Wh and its bias (separate recurrent part only).</summary>
    public Span<float> AH => _ah;

    /// <summary>dAh [N,T,G], the gradient of Ah (separate recurrent part only).</summary>
    public Span<float> DAH => _dAh;

    /// <summary>The dh carried to step t−1, row n: a cell with a direct path from h_prev to h writes its part here before <see cref="BackwardRecurrent"/> adds the rest.</summary>
    public Span<float> DhCarried(int n) => _dh.AsSpan(n * H, H);

    public ReadOnlySpan<float> Dh => _hasBackward ? _dh : throw new InvalidOperationException($"{_layer}: no backward pass yet.");

    /// <summary>The dh of one step (dhs[:, t] plus the carried dh), row n.</summary>
    public Span<float> DhStep(int n) => _dhStep.AsSpan(n * H, H);

    public void ResetState() => _hasState = false;

    /// <summary>Sets h [N,H], the state the next call starts from.</summary>
    public void SetState(ReadOnlySpan<float> h)
    {
        if (h.Length == 0 || h.Length % H != 0)
            throw new ArgumentException($"{_layer}: h must hold N×H values with H = {H}; got {h.Length}.", nameof(h));
        h.CopyTo(Buffers.Ensure(ref _h, h.Length));
        _hasState = true;
    }

    /// <summary>Checks xs, sizes the buffers, zeroes h unless a state carries over, and computes A = xs·Wx + b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginForward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        shape.Validate(Math.Max(this.D, this.G));
        if (training && (_inferenceWx is not null || _inferenceWh is not null))
            throw new InvalidOperationException($"{_layer}: its weights are in {_precision} for inference; set WeightPrecision.Float32 before training.");
        int N = shape.BatchSize, T = shape.TimeSteps, D = this.D, H = this.H, G = this.G;
        if (xs.Length != N * T * D)
            throw new ArgumentException($"{_layer}: xs has {xs.Length} values; expected N×T×D = {N}×{T}×{D}.", nameof(xs));
        Carried = _hasState;
        if (Carried && _h.Length != N * H)
            throw new ArgumentException($"{_layer}: the batch has {N} sequences but the carried state has {_h.Length / H} rows; reset the state first.", nameof(shape));

        Buffers.Ensure(ref _a, N * T * G);
        Buffers.Ensure(ref _dA, N * T * G);
        if (_separateRecurrent)
        {
            Buffers.Ensure(ref _ah, N * T * G);
            Buffers.Ensure(ref _dAh, N * T * G);
        }
        else
        {
            _dAh = _dA;
        }
        Buffers.Ensure(ref _hs, N * T * H);
        Buffers.Ensure(ref _hPrev, N * T * H);
        Buffers.Ensure(ref _dxs, N * T * D);
        Buffers.Ensure(ref _h, N * H);
        Buffers.Ensure(ref _dh, N * H);
        Buffers.Ensure(ref _dhStep, N * H);
        Buffers.Ensure(ref _last, ReturnSequences ? 0 : N * H);
        (this.N, this.T, _xs, _hasBackward) = (N, T, xs, false);
        var running = Buffers.Ensure(ref _running, T);
        Array.Fill(running, N);
        _minLength = T;
        if (!shape.Lengths.IsEmpty)
        {
            var lengths = Buffers.Ensure(ref _lengths, N);
            shape.Lengths.Span.CopyTo(lengths);
            _minLength = lengths.Min();
            bool decreasing = true;
            for (int n = 1; n < N; n++)
                decreasing &= lengths[n] <= lengths[n - 1];
            for (int n = 0; decreasing && n < N; n++)
            {
                // Sequence n runs for lengths[n] steps: steps from there on run one row fewer.
                for (int t = lengths[n]; t < T; t++)
                    running[t]--;
            }
        }
        if (!Carried)
            Array.Clear(_h);

        _realRows = shape.Lengths.IsEmpty ? N * T : _lengths.Sum();
        _packed = _realRows < N * T;
        if (_packed)
        {
            var packedX = Buffers.Ensure(ref _packedX, _realRows * D);
            var packedA = Buffers.Ensure(ref _packedA, _realRows * G);
            Gather(xs.Span, D, packedX);
            Gemm.MatMulBias(packedX, D, Transpose.No, _wx.Value, G, Transpose.No, _b.Value, _realRows, G, D, packedA, G);
            Scatter(packedA, G, _a);
        }
        else if (_inferenceWx is not null && N * T <= InferenceWeights.MaxRows)
        {
            for (int row = 0; row < N * T; row++)
            {
                var a = _a.AsSpan(row * G, G);
                _b.Value.CopyTo(a);
                _inferenceWx.MultiplyAdd(xs.Span.Slice(row * D, D), a);
            }
        }
        else
        {
            Gemm.MatMulBias(xs.Span, D, Transpose.No, _wx.Value, G, Transpose.No, _b.Value, N * T, G, D, _a, G);
        }

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

    /// <summary>
    /// Uses <paramref name="copy"/>, a reduced-precision snapshot of Wx or Wh, for forward passes of at most
    /// <see cref="InferenceWeights.MaxRows"/> rows; null (<see cref="WeightPrecision.Float32"/>) drops it.
    /// </summary>
    public void SetInferenceWeights(Parameter weight, InferenceWeights? copy, WeightPrecision precision)
    {
        if (weight == _wx)
            _inferenceWx = copy;
        else if (weight == _wh)
            _inferenceWh = copy;
        else
            throw new ArgumentException($"{_layer}: '{weight.Name}' is neither Wx nor Wh.", nameof(weight));
        _precision = precision;
    }

    /// <summary>Whether the recurrent products of this pass (of at most MaxRows rows in all) run on the reduced-precision copy.</summary>
    private bool InferenceStep => _inferenceWh is not null && N * T <= InferenceWeights.MaxRows && _minLength == T;

    /// <summary>rows of A[:, t] (T·G apart) += h_prev·Wh over the reduced-precision copy, h_prev rows H·stride apart.</summary>
    private void AddInferenceRecurrent(ReadOnlySpan<float> hPrev, int hStride, int rows, Span<float> a)
    {
        for (int n = 0; n < rows; n++)
            _inferenceWh!.MultiplyAdd(hPrev.Slice(n * hStride, H), a.Slice(n * T * G, G));
    }

    /// <summary>A[:, t] += h_prev·Wh, h_prev being the carried state at t = 0 and hs[:, t−1] after (running rows only).</summary>
    public void AddRecurrent(int t)
    {
        int H = this.H, G = this.G;
        if (InferenceStep)
        {
            if (t > 0)
                AddInferenceRecurrent(_hs.AsSpan((t - 1) * H), T * H, N, _a.AsSpan(t * G));
            else if (Carried)
                AddInferenceRecurrent(_h, H, N, _a);
            return;
        }
        if (t > 0)
            Gemm.MatMulAdd(_hs.AsSpan((t - 1) * H), T * H, Transpose.No, WhForSteps, _whLd, Transpose.No, _running[t], G, H, _a.AsSpan(t * G), T * G);
        else if (Carried)
            Gemm.MatMulAdd(_h, H, Transpose.No, WhForSteps, _whLd, Transpose.No, N, G, H, _a, T * G);
    }

    /// <summary>Ah[:, t] = h_prev·Wh + bias [G], h_prev being the carried state at t = 0 (zeros when none) and hs[:, t−1] after.</summary>
    public void WriteRecurrent(int t, ReadOnlySpan<float> bias)
    {
        int H = this.H, G = this.G;
        if (InferenceStep && (t > 0 || Carried))
        {
            for (int n = 0; n < N; n++)
                bias.CopyTo(_ah.AsSpan((n * T + t) * G, G));
            if (t > 0)
                AddInferenceRecurrent(_hs.AsSpan((t - 1) * H), T * H, N, _ah.AsSpan(t * G));
            else
                AddInferenceRecurrent(_h, H, N, _ah);
            return;
        }
        if (t > 0)
        {
            Gemm.MatMulBias(_hs.AsSpan((t - 1) * H), T * H, Transpose.No, WhForSteps, _whLd, Transpose.No, bias, _running[t], G, H, _ah.AsSpan(t * G), T * G);
        }
        else if (Carried)
        {
            Gemm.MatMulBias(_h, H, Transpose.No, WhForSteps, _whLd, Transpose.No, bias, N, G, H, _ah, T * G);
        }
        else
        {
            for (int n = 0; n < N; n++)
                bias.CopyTo(_ah.AsSpan(n * T * G, G));
        }
    }

    /// <summary>Records h_prev of every (n, t) for dWh, and keeps the last h (as the state when stateful).</summary>
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
        if (!ReturnSequences)
            _h.CopyTo(_last, 0);
        _hasState = Stateful;
    }

    /// <summary>Checks dys, zeroes the carried dh and makes Whᵀ [G,H], so each step's dh_prev = dA_t·Whᵀ reads it in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BeginBackward(ReadOnlyMemory<float> dys)
    {
        int H = this.H, G = this.G;
        if (N == 0)
            throw new InvalidOperationException($"{_layer}: Backward needs a Forward first.");
        int steps = ReturnSequences ? T : 1;
        if (dys.Length != N * steps * H)
            throw new ArgumentException($"{_layer}: dys has {dys.Length} values; expected N×T′×H = {N}×{steps}×{H}.", nameof(dys));
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

    /// <summary>The dh of step t for every row: dys[:, t] (only the last step has one without sequences) + the dh carried from step t+1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GatherDh(ReadOnlySpan<float> dys, int t)
    {
        int H = this.H;
        if (ReturnSequences)
        {
            for (int n = 0; n < N; n++)
                TensorPrimitives.Add(dys.Slice((n * T + t) * H, H), _dh.AsSpan(n * H, H), _dhStep.AsSpan(n * H, H));
        }
        else if (t == T - 1)
        {
            TensorPrimitives.Add(dys, _dh, _dhStep);
        }
        else
        {
            _dh.CopyTo(_dhStep, 0);
        }
    }

    /// <summary>
    /// For the rows frozen at step t (their sequence ended): dA (and dAh) zero, and the step's dh carried straight to
    /// t − 1, as h_t = h_{t−1}. Without a direct path written by the cell, the other rows' carried dh is zeroed for the
    /// recurrent product to add to. Returns whether any row is frozen (the product must then add).
    /// </summary>
    public bool PassFrozenRows(int t, bool directPathWritten)
    {
        if (t < _minLength)
            return false;
        int H = this.H, G = this.G;
        for (int n = 0; n < N; n++)
        {
            int row = n * T + t;
            if (Active(n, t))
            {
                if (!directPathWritten)
                    DhCarried(n).Clear();
                continue;
            }
            _dA.AsSpan(row * G, G).Clear();
            _dAh.AsSpan(row * G, G).Clear();
            DhStep(n).CopyTo(DhCarried(n));
        }
        return true;
    }

    /// <summary>
    /// dh_prev = dAh[:, t]·Whᵀ (added to what the cell wrote into <see cref="DhCarried"/> when <paramref name="add"/>),
    /// carried to step t−1 (and kept as <see cref="Dh"/> after t = 0).
    /// </summary>
    public void BackwardRecurrent(int t, bool add = false)
    {
        // The rows past the running ones are frozen: their dA is zero, and their carried dh is the step's own.
        int running = _running[t];
        if (add)
            Gemm.MatMulAdd(_dAh.AsSpan(t * G), T * G, Transpose.No, _whT, Padded(H), Transpose.No, running, H, G, _dh, H);
        else
            Gemm.MatMul(_dAh.AsSpan(t * G), T * G, Transpose.No, _whT, Padded(H), Transpose.No, running, H, G, _dh, H);
    }

    /// <summary>dWx += xsᵀ·dA, dWh += h_prevᵀ·dAh, db += Σ_rows dA (added into the gradients); returns dxs = dA·Wxᵀ.</summary>
    public ReadOnlyMemory<float> EndBackward()
    {
        int D = this.D, H = this.H, G = this.G;
        if (_packed)
        {
            // The padded rows' dA is zero: over the real rows only, and the padding's dxs is zero.
            int rows = _realRows;
            var dA = Buffers.Ensure(ref _packedA, rows * G);
            Gather(_dA, G, dA);
            var dAh = dA;
            if (_separateRecurrent)
            {
                dAh = Buffers.Ensure(ref _packedAh, rows * G);
                Gather(_dAh, G, dAh);
            }
            var hPrev = Buffers.Ensure(ref _packedH, rows * H);
            Gather(_hPrev, H, hPrev);
            var dxs = Buffers.Ensure(ref _packedDx, rows * D);
            Gemm.MatMulAdd(_packedX, D, Transpose.Yes, dA, G, Transpose.No, D, G, rows, _wx.Grad, G);
            Gemm.MatMulAdd(hPrev, H, Transpose.Yes, dAh, G, Transpose.No, H, G, rows, _wh.Grad, G);
            Elementwise.AddColumnSums(dA.AsSpan(0, rows * G), rows, G, _b.Grad);
            Gemm.MatMul(dA, G, Transpose.No, _wx.Value, G, Transpose.Yes, rows, D, G, dxs, D);
            Scatter(dxs, D, _dxs);
        }
        else
        {
            int rows = N * T;
            Gemm.MatMulAdd(_xs.Span, D, Transpose.Yes, _dA, G, Transpose.No, D, G, rows, _wx.Grad, G);
            Gemm.MatMulAdd(_hPrev, H, Transpose.Yes, _dAh, G, Transpose.No, H, G, rows, _wh.Grad, G);
            Elementwise.AddColumnSums(_dA, rows, G, _b.Grad);
            Gemm.MatMul(_dA, G, Transpose.No, _wx.Value, G, Transpose.Yes, rows, D, G, _dxs, D);
        }
        _hasBackward = true;
        return _dxs;
    }

    /// <summary>The real rows of a [N,T,width] buffer, one sequence after another: [R,width].</summary>
    private void Gather(ReadOnlySpan<float> source, int width, Span<float> packed)
    {
        for (int n = 0, r = 0; n < N; r += _lengths[n], n++)
            source.Slice(n * T * width, _lengths[n] * width).CopyTo(packed[(r * width)..]);
    }

    /// <summary>The inverse of <see cref="Gather"/>, the padded rows set to zero.</summary>
    private void Scatter(ReadOnlySpan<float> packed, int width, Span<float> target)
    {
        for (int n = 0, r = 0; n < N; r += _lengths[n], n++)
        {
            packed.Slice(r * width, _lengths[n] * width).CopyTo(target[(n * T * width)..]);
            target.Slice((n * T + _lengths[n]) * width, (T - _lengths[n]) * width).Clear();
        }
    }
}
