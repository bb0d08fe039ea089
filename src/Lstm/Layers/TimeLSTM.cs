using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The LSTM over T time steps (the book's <c>TimeLSTM</c>): xs [N,T,D] → hs [N,T,H] (or the last step's h [N,1,H]).
/// One step: A = x·Wx + h_prev·Wh + b [N,4H], sliced into the gates f, g, i, o;
/// c = f ⊙ c_prev + g ⊙ i; h = o ⊙ tanh(c).
/// </summary>
/// <remarks>
/// <para>Stateful: h and c carry over to the next <see cref="Forward"/> (truncated BPTT: the gradient stops at the
/// batch boundary, the state does not) until <see cref="RecurrentLayer.ResetState"/>. Not stateful: every call starts from zeros, or
/// from the <see cref="State"/> set before it.</para>
/// <para><see cref="Backward"/> adds into the gradients of Wx, Wh and b and writes dxs; the gradient reaching the
/// starting h and c is <see cref="StateGradient"/>. Buffers are allocated once per (N, T) and reused.</para>
/// </remarks>
public sealed class TimeLSTM : RecurrentLayer
{
    // c [N,T,H] and tanh(c) [N,T,H] per (N, T); the carried c [N,H], c at the batch start [N,H], dc carried backward [N,H].
    private float[] _cs = [], _tanhCs = [], _c = [], _c0 = [], _dc = [];

    /// <summary>An LSTM over the given parameters: <paramref name="wx"/> [D,4H], <paramref name="wh"/> [H,4H], <paramref name="b"/> [4H].</summary>
    /// <param name="wx">Input weights, gates f, g, i, o side by side.</param>
    /// <param name="wh">Recurrent weights.</param>
    /// <param name="b">The bias.</param>
    /// <param name="stateful">Whether h and c carry over between calls.</param>
    /// <param name="returnSequences">Whether the output is every step's h (true) or the last step's.</param>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public TimeLSTM(Parameter wx, Parameter wh, Parameter b, bool stateful, bool returnSequences = true)
        : base(wx, wh, b, gates: 4, stateful, returnSequences, nameof(TimeLSTM))
    {
    }

    /// <summary>
    /// Adds <c>{name}.Wx</c> [D,4H], <c>{name}.Wh</c> [H,4H] and <c>{name}.b</c> [4H] to <paramref name="parameters"/>,
    /// initialised as in the book (Wx ~ N(0,1)/√D, Wh ~ N(0,1)/√H, b = 0), and returns the layer over them.
    /// </summary>
    public static TimeLSTM Create(ParameterSet parameters, string name, int inputSize, int hiddenSize, RandomSource random,
        bool stateful = false, bool returnSequences = true)
    {
        var (wx, wh, b) = RecurrentCore.AddParameters(parameters, name, inputSize, hiddenSize, gates: 4, random);
        return new TimeLSTM(wx, wh, b, stateful, returnSequences);
    }

    /// <summary>A copy of the state h, c [N,H] the next call starts from; null for zeros.</summary>
    /// <exception cref="ArgumentException">Set: h and c differ in length or are not a positive multiple of H.</exception>
    public override RecurrentState? State
    {
        get => Core.HasState ? new RecurrentState(Core.HState.ToArray(), _c.ToArray()) : null;
        set
        {
            if (value is null)
            {
                ResetState();
                return;
            }
            if (value.H.Length != value.C.Length)
                throw new ArgumentException($"TimeLSTM: h and c must both hold N×H values with H = {HiddenSize}; got {value.H.Length} and {value.C.Length}.", nameof(value));
            Core.SetState(value.H);
            value.C.CopyTo(Buffers.Ensure(ref _c, value.C.Length), 0);
        }
    }

    /// <inheritdoc/>
    public override RecurrentState StateGradient => new(Core.Dh.ToArray(), _dc.ToArray());

    /// <summary>Runs T steps: xs [N,T,D] → hs [N,T,H] (or [N,1,H]), valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values, or N changed while a state is carried.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false)
    {
        Core.BeginForward(xs, shape, training);
        int N = shape.BatchSize, T = shape.TimeSteps, H = HiddenSize, G = 4 * H;
        Buffers.Ensure(ref _cs, N * T * H);
        Buffers.Ensure(ref _tanhCs, N * T * H);
        Buffers.Ensure(ref _c, N * H);
        Buffers.Ensure(ref _c0, N * H);
        Buffers.Ensure(ref _dc, N * H);
        if (!Core.Carried)
            Array.Clear(_c);
        _c.CopyTo(_c0, 0);

        var a = Core.A;
        var hs = Core.Hs;
        for (int t = 0; t < T; t++)
        {
            Core.AddRecurrent(t);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                if (Core.Active(n, t))
                {
                    RecurrentCells.LstmForward(a.Slice(row * G, G), CPrev(n, t), _cs.AsSpan(row * H, H),
                        _tanhCs.AsSpan(row * H, H), hs.Slice(row * H, H));
                }
                else
                {
                    // Past the sequence's end the state is frozen.
                    CPrev(n, t).CopyTo(_cs.AsSpan(row * H, H));
                    hs.Slice((row - 1) * H, H).CopyTo(hs.Slice(row * H, H));
                }
            }
        }

        for (int n = 0; n < N; n++)
            _cs.AsSpan((n * T + T - 1) * H, H).CopyTo(_c.AsSpan(n * H));
        Core.EndForward();
        return Core.Output;
    }

    /// <summary>
    /// Backpropagates dys [N,T,H] (or [N,1,H]) through the last <see cref="Forward"/>: adds into the gradients of Wx,
    /// Wh, b, sets <see cref="StateGradient"/>, and returns dxs [N,T,D], valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dys does not match the output of the last forward pass.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        Core.BeginBackward(dys);
        int N = Core.N, T = Core.T, H = HiddenSize, G = 4 * H;
        Array.Clear(_dc);
        var a = Core.A;
        var dA = Core.DA;
        for (int t = T - 1; t >= 0; t--)
        {
            Core.GatherDh(dys.Span, t);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                // A frozen row passes dc on unchanged (c_t = c_{t−1}); PassFrozenRows passes its dh.
                if (Core.Active(n, t))
                {
                    RecurrentCells.LstmBackward(a.Slice(row * G, G), CPrev(n, t), _tanhCs.AsSpan(row * H, H),
                        Core.DhStep(n), _dc.AsSpan(n * H, H), dA.Slice(row * G, G));
                }
            }
            Core.BackwardRecurrent(t, add: Core.PassFrozenRows(t, directPathWritten: false));
        }
        return Core.EndBackward();
    }

    /// <summary>c_prev of row n at step t: the state at the batch start for t = 0, else c of step t−1.</summary>
    private Span<float> CPrev(int n, int t)
    {
        int H = HiddenSize;
        return t == 0 ? _c0.AsSpan(n * H, H) : _cs.AsSpan((n * Core.T + t - 1) * H, H);
    }
}
