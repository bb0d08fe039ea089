using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The plain RNN over T time steps (the book's <c>TimeRNN</c>), the baseline the LSTM is compared with:
/// xs [N,T,D] → hs [N,T,H] (or [N,1,H]), h = tanh(x·Wx + h_prev·Wh + b).
/// </summary>
/// <remarks>
/// Same contract as <see cref="TimeLSTM"/>: stateful or not, <see cref="Backward"/> adds into the gradients of
/// Wx, Wh, b, writes dxs and keeps the gradient of the starting h in <see cref="RecurrentLayer.StateGradient"/>.
/// </remarks>
public sealed class TimeRNN : RecurrentLayer
{
    /// <summary>An RNN over <paramref name="wx"/> [D,H], <paramref name="wh"/> [H,H], <paramref name="b"/> [H].</summary>
    /// <param name="wx">Input weights.</param>
    /// <param name="wh">Recurrent weights.</param>
    /// <param name="b">The bias.</param>
    /// <param name="stateful">Whether h carries over between calls.</param>
    /// <param name="returnSequences">Whether the output is every step's h (true) or the last step's.</param>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public TimeRNN(Parameter wx, Parameter wh, Parameter b, bool stateful, bool returnSequences = true)
        : base(wx, wh, b, gates: 1, stateful, returnSequences, nameof(TimeRNN))
    {
    }

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

    /// <summary>Runs T steps: xs [N,T,D] → hs [N,T,H] (or [N,1,H]), valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values, or N changed while a state is carried.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false)
    {
        Core.BeginForward(xs, shape, training);
        int N = shape.BatchSize, T = shape.TimeSteps, H = HiddenSize;
        var a = Core.A;
        var hs = Core.Hs;
        for (int t = 0; t < T; t++)
        {
            Core.AddRecurrent(t);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                var pre = a.Slice(row * H, H);
                // Past the sequence's end the state is frozen; A keeps h for the backward pass either way.
                if (Core.Active(n, t))
                    RecurrentCells.RnnForward(pre);
                else
                    hs.Slice((row - 1) * H, H).CopyTo(pre);
                pre.CopyTo(hs.Slice(row * H, H));
            }
        }
        Core.EndForward();
        return Core.Output;
    }

    /// <summary>
    /// Backpropagates dys [N,T,H] (or [N,1,H]) through the last <see cref="Forward"/>: adds into the gradients of Wx,
    /// Wh, b, sets <see cref="RecurrentLayer.StateGradient"/>, and returns dxs [N,T,D], valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dys does not match the output of the last forward pass.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        Core.BeginBackward(dys);
        int N = Core.N, T = Core.T, H = HiddenSize;
        var hs = Core.Hs;
        var dA = Core.DA;
        for (int t = T - 1; t >= 0; t--)
        {
            Core.GatherDh(dys.Span, t);
            for (int n = 0; n < N; n++)
            {
                int row = (n * T + t) * H;
                if (Core.Active(n, t))
                    RecurrentCells.RnnBackward(hs.Slice(row, H), Core.DhStep(n), dA.Slice(row, H));
            }
            Core.BackwardRecurrent(t, add: Core.PassFrozenRows(t, directPathWritten: false));
        }
        return Core.EndBackward();
    }
}
