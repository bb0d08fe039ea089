using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The LSTM over T time steps (the book's <c>TimeLSTM</c>): xs [N,T,D] → hs [N,T,H].
/// One step: A = x·Wx + h_prev·Wh + b [N,4H], sliced into the gates f, g, i, o;
/// c = f ⊙ c_prev + g ⊙ i; h = o ⊙ tanh(c).
/// </summary>
/// <remarks>
/// <para>Stateful: h and c carry over to the next <see cref="Forward"/> (truncated BPTT: the gradient stops at the
/// batch boundary, the state does not) until <see cref="ResetState"/>. Not stateful: every call starts from zeros.</para>
/// <para><see cref="Backward"/> adds into the gradients of Wx, Wh and b and writes dxs; the gradient reaching the
/// first step's h_prev is kept in <see cref="Dh"/>. Buffers are allocated once per (N, T) and reused.</para>
/// </remarks>
public sealed class TimeLSTM : IRecurrentLayer
{
    private readonly RecurrentCore _core;

    // c [N,T,H] and tanh(c) [N,T,H] per (N, T); the carried c [N,H], c at the batch start [N,H], dc carried backward [N,H].
    private float[] _cs = [], _tanhCs = [], _c = [], _c0 = [], _dc = [];

    /// <summary>An LSTM over the given parameters: <paramref name="wx"/> [D,4H], <paramref name="wh"/> [H,4H], <paramref name="b"/> [4H].</summary>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public TimeLSTM(Parameter wx, Parameter wh, Parameter b, bool stateful)
        => _core = new RecurrentCore(wx, wh, b, gates: 4, stateful, nameof(TimeLSTM));

    /// <summary>Whether h and c carry over between calls.</summary>
    public bool Stateful => _core.Stateful;

    /// <summary>D, the width of each input vector.</summary>
    public int InputSize => _core.D;

    /// <summary>H, the width of h and c.</summary>
    public int HiddenSize => _core.H;

    /// <summary>The gradient with respect to the first step's h_prev [N,H], set by <see cref="Backward"/>.</summary>
    public ReadOnlySpan<float> Dh => _core.Dh;

    /// <summary>The carried hidden state h [N,H] (empty when there is none).</summary>
    public ReadOnlySpan<float> HiddenState => _core.HasState ? _core.HState : [];

    /// <summary>The carried memory cell c [N,H] (empty when there is none).</summary>
    public ReadOnlySpan<float> CellState => _core.HasState ? _c : [];

    /// <summary>Forgets the carried h and c: the next call starts from zeros.</summary>
    public void ResetState() => _core.ResetState();

    /// <summary>A copy of the carried state: h [N,H] then c [N,H]; empty when there is none.</summary>
    public float[] SaveState() => [.. HiddenState, .. CellState];

    /// <summary>Restores a state taken by <see cref="SaveState"/>; an empty one means no state.</summary>
    /// <exception cref="ArgumentException">The state does not hold h and c of equal size.</exception>
    public void RestoreState(float[] state)
    {
        if (state.Length == 0)
            ResetState();
        else
            SetState(state.AsSpan(0, state.Length / 2), state.AsSpan(state.Length / 2));
    }

    /// <summary>Sets the state h, c [N,H] the next stateful call starts from.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are not a positive multiple of H.</exception>
    public void SetState(ReadOnlySpan<float> h, ReadOnlySpan<float> c)
    {
        if (h.Length != c.Length || h.Length == 0 || h.Length % HiddenSize != 0)
            throw new ArgumentException($"h and c must both hold N×H values with H = {HiddenSize}; got {h.Length} and {c.Length}.", nameof(h));
        _core.SetState(h);
        c.CopyTo(Buffers.Ensure(ref _c, c.Length));
    }

    /// <summary>Runs T steps: xs [N,T,D] → hs [N,T,H], valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values, or N changed while a state is carried.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, int batchSize, int timeSteps)
    {
        _core.BeginForward(xs, batchSize, timeSteps);
        int N = batchSize, T = timeSteps, H = HiddenSize, G = 4 * H;
        Buffers.Ensure(ref _cs, N * T * H);
        Buffers.Ensure(ref _tanhCs, N * T * H);
        Buffers.Ensure(ref _c, N * H);
        Buffers.Ensure(ref _c0, N * H);
        Buffers.Ensure(ref _dc, N * H);
        if (!_core.Carried)
            Array.Clear(_c);
        _c.CopyTo(_c0, 0);

        var a = _core.A;
        var hs = _core.Hs;
        for (int t = 0; t < T; t++)
        {
            _core.AddRecurrent(t);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                RecurrentCells.LstmForward(a.Slice(row * G, G), CPrev(n, t), _cs.AsSpan(row * H, H),
                    _tanhCs.AsSpan(row * H, H), hs.Slice(row * H, H));
            }
        }

        for (int n = 0; n < N; n++)
            _cs.AsSpan((n * T + T - 1) * H, H).CopyTo(_c.AsSpan(n * H));
        _core.EndForward();
        return _core.Output;
    }

    /// <summary>
    /// Backpropagates dhs [N,T,H] through the last <see cref="Forward"/>: adds into the gradients of Wx, Wh, b,
    /// sets <see cref="Dh"/>, and returns dxs [N,T,D], valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dhs does not hold N·T·H values.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dhs)
    {
        _core.BeginBackward(dhs);
        int N = _core.N, T = _core.T, H = HiddenSize, G = 4 * H;
        Array.Clear(_dc);
        var a = _core.A;
        var dA = _core.DA;
        for (int t = T - 1; t >= 0; t--)
        {
            _core.GatherDh(dhs.Span, t);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                RecurrentCells.LstmBackward(a.Slice(row * G, G), CPrev(n, t), _tanhCs.AsSpan(row * H, H),
                    _core.DhStep(n), _dc.AsSpan(n * H, H), dA.Slice(row * G, G));
            }
            _core.BackwardRecurrent(t);
        }
        return _core.EndBackward();
    }

    /// <summary>c_prev of row n at step t: the state at the batch start for t = 0, else c of step t−1.</summary>
    private Span<float> CPrev(int n, int t)
    {
        int H = HiddenSize;
        return t == 0 ? _c0.AsSpan(n * H, H) : _cs.AsSpan((n * _core.T + t - 1) * H, H);
    }
}
