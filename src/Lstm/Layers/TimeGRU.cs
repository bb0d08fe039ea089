using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Layers;

/// <summary>
/// The GRU over T time steps in PyTorch's (and cuDNN's) formulation: xs [N,T,D] → hs [N,T,H] (or [N,1,H]), gates r, z, n:
/// r = σ(x·W_ir + h·W_hr + b_r), z = σ(x·W_iz + h·W_hz + b_z), n = tanh(x·W_in + b_in + r ⊙ (h·W_hn + b_hn)),
/// h′ = (1 − z) ⊙ n + z ⊙ h.
/// </summary>
/// <remarks>
/// <para>Parameters: Wx [D,3H] and Wh [H,3H] (gates r, z, n side by side), one input bias b [3H] (PyTorch's b_ih + b_hh
/// for r and z, b_in for n) and b_hn [H] apart, since it sits inside r ⊙ (…). Applying r after the product keeps one
/// h·Wh per step, as for the LSTM; the book's GRU applies it before, (r ⊙ h)·W_hn, which needs a second product per
/// step, so its weights train to a different function.</para>
/// <para>Stateful or not as <see cref="TimeLSTM"/>; <see cref="Backward"/> adds into the gradients of Wx, Wh, b, b_hn,
/// writes dxs and keeps the gradient of the starting h in <see cref="RecurrentLayer.StateGradient"/>.</para>
/// </remarks>
public sealed class TimeGRU : RecurrentLayer
{
    // [0, 0, b_hn], the bias of the recurrent product; the column sums of dAh [3H], whose last H are db_hn.
    private float[] _recurrentBias = [], _recurrentBiasGrad = [];

    /// <summary>A GRU over <paramref name="wx"/> [D,3H], <paramref name="wh"/> [H,3H], <paramref name="b"/> [3H] and <paramref name="bhn"/> [H].</summary>
    /// <param name="wx">Input weights, gates r, z, n side by side.</param>
    /// <param name="wh">Recurrent weights.</param>
    /// <param name="b">The input bias.</param>
    /// <param name="bhn">The bias of the recurrent part of n, inside r ⊙ (…).</param>
    /// <param name="stateful">Whether h carries over between calls.</param>
    /// <param name="returnSequences">Whether the output is every step's h (true) or the last step's.</param>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public TimeGRU(Parameter wx, Parameter wh, Parameter b, Parameter bhn, bool stateful, bool returnSequences = true)
        : base(wx, wh, b, gates: 3, stateful, returnSequences, nameof(TimeGRU), separateRecurrent: true)
    {
        if (bhn.Length != HiddenSize)
            throw new ArgumentException($"TimeGRU: b_hn has {bhn.Length} values; expected H = {HiddenSize}.", nameof(bhn));
        Bhn = bhn;
        Parameters = [wx, wh, b, bhn];
    }

    /// <summary>
    /// Adds <c>{name}.Wx</c> [D,3H], <c>{name}.Wh</c> [H,3H], <c>{name}.b</c> [3H] and <c>{name}.b_hn</c> [H] to
    /// <paramref name="parameters"/> (Wx ~ N(0,1)/√D, Wh ~ N(0,1)/√H, biases 0, as the book initialises its layers),
    /// and returns the layer over them.
    /// </summary>
    public static TimeGRU Create(ParameterSet parameters, string name, int inputSize, int hiddenSize, RandomSource random,
        bool stateful = false, bool returnSequences = true)
    {
        var (wx, wh, b) = RecurrentCore.AddParameters(parameters, name, inputSize, hiddenSize, gates: 3, random);
        return new TimeGRU(wx, wh, b, parameters.Add($"{name}.b_hn", 1, hiddenSize), stateful, returnSequences);
    }

    /// <summary>b_hn [H], the bias of the recurrent part of the n gate.</summary>
    public Parameter Bhn { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Runs T steps: xs [N,T,D] → hs [N,T,H] (or [N,1,H]), valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·D values, or N changed while a state is carried.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false)
    {
        Core.BeginForward(xs, shape, training);
        int N = shape.BatchSize, T = shape.TimeSteps, H = HiddenSize, G = 3 * H;
        var bias = Buffers.Ensure(ref _recurrentBias, G);
        Bhn.Value.CopyTo(bias.AsSpan(2 * H));
        var a = Core.A;
        var ah = Core.AH;
        var hs = Core.Hs;
        for (int t = 0; t < T; t++)
        {
            Core.WriteRecurrent(t, bias);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                var hPrev = t == 0 ? Core.HState.Slice(n * H, H) : hs.Slice((row - 1) * H, H);
                // Past the sequence's end the state is frozen.
                if (Core.Active(n, t))
                    RecurrentCells.GruForward(a.Slice(row * G, G), ah.Slice(row * G, G), hPrev, hs.Slice(row * H, H));
                else
                    hPrev.CopyTo(hs.Slice(row * H, H));
            }
        }
        Core.EndForward();
        return Core.Output;
    }

    /// <summary>
    /// Backpropagates dys [N,T,H] (or [N,1,H]) through the last <see cref="Forward"/>: adds into the gradients of Wx,
    /// Wh, b, b_hn, sets <see cref="RecurrentLayer.StateGradient"/>, and returns dxs [N,T,D], valid until the next call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">dys does not match the output of the last forward pass.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        Core.BeginBackward(dys);
        int N = Core.N, T = Core.T, H = HiddenSize, G = 3 * H;
        var a = Core.A;
        var ah = Core.AH;
        var hPrev = Core.HPrev;
        var dA = Core.DA;
        var dAh = Core.DAH;
        for (int t = T - 1; t >= 0; t--)
        {
            Core.GatherDh(dys.Span, t);
            for (int n = 0; n < N; n++)
            {
                int row = n * T + t;
                if (Core.Active(n, t))
                {
                    RecurrentCells.GruBackward(a.Slice(row * G, G), ah.Slice(row * G, G), hPrev.Slice(row * H, H), Core.DhStep(n),
                        dA.Slice(row * G, G), dAh.Slice(row * G, G), Core.DhCarried(n));
                }
            }
            Core.PassFrozenRows(t, directPathWritten: true);
            Core.BackwardRecurrent(t, add: true);
        }
        var dxs = Core.EndBackward();
        var sums = Buffers.Ensure(ref _recurrentBiasGrad, G);
        Array.Clear(sums);
        Elementwise.AddColumnSums(dAh, N * T, G, sums);
        TensorPrimitives.Add(Bhn.Grad, sums.AsSpan(2 * H), Bhn.Grad);
        return dxs;
    }
}
