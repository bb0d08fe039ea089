using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The plain RNN over T time steps (the book's <c>TimeRNN</c>), the baseline the LSTM is compared with:
/// xs [N,T,D] → hs [N,T,H], h = tanh(x·Wx + h_prev·Wh + b).
/// </summary>
/// <remarks>
/// Same contract as <see cref="TimeLSTM"/>: stateful or not, <see cref="Backward"/> adds into the gradients of
/// Wx, Wh, b, writes dxs and keeps the gradient of the first h_prev in <see cref="Dh"/>.
/// </remarks>
public sealed class TimeRNN : IRecurrentLayer
{
    private readonly RecurrentCore _core;

    /// <summary>An RNN over <paramref name="wx"/> [D,H], <paramref name="wh"/> [H,H], <paramref name="b"/> [H].</summary>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public TimeRNN(Parameter wx, Parameter wh, Parameter b, bool stateful)
        => _core = new RecurrentCore(wx, wh, b, gates: 1, stateful, nameof(TimeRNN));

    /// <summary>Whether h carries over between calls.</summary>
    public bool Stateful => _core.Stateful;

    /// <summary>D, the width of each input vector.</summary>
    public int InputSize => _core.D;

    /// <summary>H, the width of h.</summary>
    public int HiddenSize => _core.H;

    /// <summary>The gradient with respect to the first step's h_prev [N,H], set by <see cref="Backward"/>.</summary>
    public ReadOnlySpan<float> Dh => _core.Dh;

    /// <summary>The carried hidden state h [N,H] (empty when there is none).</summary>
    public ReadOnlySpan<float> HiddenState => _core.HasState ? _core.HState : [];

    /// <summary>Forgets the carried h: the next call starts from zeros.</summary>
    public void ResetState() => _core.ResetState();

    /// <summary>A copy of the carried state h [N,H]; empty when there is none.</summary>
    public float[] SaveState() => HiddenState.ToArray();

    /// <summary>Restores a state taken by <see cref="SaveState"/>; an empty one means no state.</summary>
    /// <exception cref="ArgumentException">The state is not a multiple of H.</exception>
    public void RestoreState(float[] state)
    {
        if (state.Length == 0)
            ResetState();
        else
            SetState(state);
    }

    /// <summary>Sets the state h [N,H] the next stateful call starts from.</summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of H.</exception>
    public void SetState(ReadOnlySpan<float> h)
    {
        if (h.Length == 0 || h.Length % HiddenSize != 0)
            throw new ArgumentException($"h must hold N×H values with H = {HiddenSize}; got {h.Length}.", nameof(h));
        _core.SetState(h);
    }

    /// <summary>Runs T steps: xs [N,T,D] → hs [N,T,H], valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values, or N changed while a state is carried.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, int batchSize, int timeSteps)
    {
        _core.BeginForward(xs, batchSize, timeSteps);
        int N = batchSize, T = timeSteps, H = HiddenSize;
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
    /// Backpropagates dhs [N,T,H] through the last <see cref="Forward"/>: adds into the gradients of Wx, Wh, b,
    /// sets <see cref="Dh"/>, and returns dxs [N,T,D], valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dhs does not hold N·T·H values.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dhs)
    {
        _core.BeginBackward(dhs);
        int N = _core.N, T = _core.T, H = HiddenSize;
        var hs = _core.Hs;
        var dA = _core.DA;
        for (int t = T - 1; t >= 0; t--)
        {
            _core.GatherDh(dhs.Span, t);
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
