using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The plain RNN over T time steps (the book's <c>TimeRNN</c>), the baseline the LSTM is compared with:
/// xs [N,T,D] → hs [N,T,H] (or [N,1,H]), h = tanh(x·Wx + h_prev·Wh + b).
/// </summary>
/// <remarks>
/// Same contract as <see cref="TimeLSTM"/>: stateful or not, <see cref="Backward"/> adds into the gradients of
/// Wx, Wh, b, writes dxs and keeps the gradient of the starting h in <see cref="StateGradient"/>.
/// </remarks>
public sealed class TimeRNN : IRecurrentLayer
{
    private readonly RecurrentCore _core;

    /// <summary>An RNN over <paramref name="wx"/> [D,H], <paramref name="wh"/> [H,H], <paramref name="b"/> [H].</summary>
    /// <param name="wx">Input weights.</param>
    /// <param name="wh">Recurrent weights.</param>
    /// <param name="b">The bias.</param>
    /// <param name="stateful">Whether h carries over between calls.</param>
    /// <param name="returnSequences">Whether the output is every step's h (true) or the last step's.</param>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public TimeRNN(Parameter wx, Parameter wh, Parameter b, bool stateful, bool returnSequences = true)
        => _core = new RecurrentCore(wx, wh, b, gates: 1, stateful, returnSequences, nameof(TimeRNN));

    /// <summary>
    /// Adds <c>{name}.Wx</c> [D,H], <c>{name}.Wh</c> [H,H] and <c>{name}.b</c> [H] to <paramref name="parameters"/>,
    /// initialised as in the book (Wx ~ N(0,1)/√D, Wh ~ N(0,1)/√H, b = 0), and returns the layer over them.
    /// </summary>
    public static TimeRNN Create(ParameterSet parameters, string name, int inputSize, int hiddenSize, RandomSource random,
        bool stateful = false, bool returnSequences = true)
    {
        var (wx, wh, b) = RecurrentCore.AddParameters(parameters, name, inputSize, hiddenSize, gates: 1, random);
        return new TimeRNN(wx, wh, b, stateful, returnSequences);
    }

    /// <summary>Wx [D,H].</summary>
    public Parameter Wx => _core.Wx;

    /// <summary>Wh [H,H].</summary>
    public Parameter Wh => _core.Wh;

    /// <summary>b [H].</summary>
    public Parameter B => _core.B;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => _core.Parameters;

    /// <inheritdoc/>
    public bool Stateful => _core.Stateful;

    /// <inheritdoc/>
    public bool ReturnSequences => _core.ReturnSequences;

    /// <summary>D, the width of each input vector.</summary>
    public int InputSize => _core.D;

    /// <summary>H, the width of h.</summary>
    public int HiddenSize => _core.H;

    /// <inheritdoc/>
    public int OutputSize => _core.H;

    /// <inheritdoc/>
    public SequenceShape OutputShape(SequenceShape input) => _core.OutputShape(input);

    /// <summary>A copy of the state h [N,H] the next call starts from; null for zeros.</summary>
    /// <exception cref="ArgumentException">Set: h is not a positive multiple of H, or the state has a c.</exception>
    public RecurrentState? State
    {
        get => _core.HasState ? new RecurrentState(_core.HState.ToArray()) : null;
        set
        {
            if (value is null)
            {
                ResetState();
                return;
            }
            if (value.C.Length != 0)
                throw new ArgumentException("TimeRNN: the state of a plain RNN has no c.", nameof(value));
            _core.SetState(value.H);
        }
    }

    /// <inheritdoc/>
    public RecurrentState StateGradient => new(_core.Dh.ToArray());

    /// <summary>Forgets the carried h: the next call starts from zeros.</summary>
    public void ResetState() => _core.ResetState();

    /// <summary>Runs T steps: xs [N,T,D] → hs [N,T,H] (or [N,1,H]), valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values, or N changed while a state is carried.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false)
    {
        _core.BeginForward(xs, shape);
        int N = shape.BatchSize, T = shape.TimeSteps, H = HiddenSize;
        var a = _core.A;
        var hs = _core.Hs;
        for (int t = 0; t < T; t++)
        {
            _core.AddRecurrent(t);
            for (int n = 0; n < N; n++)
            {
                var row = a.Slice((n * T + t) * H, H);
                RecurrentCells.RnnForward(row);
                row.CopyTo(hs.Slice((n * T + t) * H, H));
            }
        }
        _core.EndForward();
        return _core.Output;
    }

    /// <summary>
    /// Backpropagates dys [N,T,H] (or [N,1,H]) through the last <see cref="Forward"/>: adds into the gradients of Wx,
    /// Wh, b, sets <see cref="StateGradient"/>, and returns dxs [N,T,D], valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dys does not match the output of the last forward pass.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        _core.BeginBackward(dys);
        int N = _core.N, T = _core.T, H = HiddenSize;
        var hs = _core.Hs;
        var dA = _core.DA;
        for (int t = T - 1; t >= 0; t--)
        {
            _core.GatherDh(dys.Span, t);
            for (int n = 0; n < N; n++)
            {
                int row = (n * T + t) * H;
                RecurrentCells.RnnBackward(hs.Slice(row, H), _core.DhStep(n), dA.Slice(row, H));
            }
            _core.BackwardRecurrent(t);
        }
        return _core.EndBackward();
    }
}
