namespace Lstm.Layers;

/// <summary>
/// What <see cref="TimeLSTM"/>, <see cref="TimeRNN"/> and <see cref="TimeGRU"/> share: the parameters Wx [D,G], Wh [H,G], b [G] of one fused
/// affine per step, the sizes, and whether the state carries and which steps are returned. The cell is the subclass's.
/// </summary>
public abstract class RecurrentLayer : IRecurrentLayer
{
    private protected RecurrentLayer(Parameter wx, Parameter wh, Parameter b, int gates, bool stateful, bool returnSequences, string name,
        bool separateRecurrent = false)
        => Core = new RecurrentCore(wx, wh, b, gates, stateful, returnSequences, name, separateRecurrent);

    private protected RecurrentCore Core { get; }

    /// <summary>
    /// Keeps Wx and Wh also in <paramref name="precision"/> for forward passes of at most 4 rows (generation): a snapshot
    /// of the weights now, which training refuses; <see cref="WeightPrecision.Float32"/> drops it.
    /// </summary>
    public void SetInferencePrecision(WeightPrecision precision)
    {
        SetInferenceWeights(Wx, InferenceWeights.Create(Wx, precision, forInputRows: true), precision);
        SetInferenceWeights(Wh, InferenceWeights.Create(Wh, precision, forInputRows: true), precision);
    }

    /// <summary>Uses <paramref name="copy"/> (made for x·W products) for <paramref name="weight"/>, Wx or Wh, in small forward passes.</summary>
    internal void SetInferenceWeights(Parameter weight, InferenceWeights? copy, WeightPrecision precision) => Core.SetInferenceWeights(weight, copy, precision);

    /// <summary>Wx [D,G]: the input weights, gates side by side.</summary>
    public Parameter Wx => Core.Wx;

    /// <summary>Wh [H,G]: the recurrent weights.</summary>
    public Parameter Wh => Core.Wh;

    /// <summary>b [G].</summary>
    public Parameter B => Core.B;

    /// <inheritdoc/>
    public virtual IReadOnlyList<Parameter> Parameters => Core.Parameters;

    /// <inheritdoc/>
    public bool Stateful => Core.Stateful;

    /// <inheritdoc/>
    public bool ReturnSequences => Core.ReturnSequences;

    /// <summary>D, the width of each input vector.</summary>
    public int InputSize => Core.D;

    /// <summary>H, the width of h.</summary>
    public int HiddenSize => Core.H;

    /// <summary>H.</summary>
    public int OutputSize => Core.H;

    /// <inheritdoc/>
    public SequenceShape OutputShape(SequenceShape input) => Core.OutputShape(input);

    /// <summary>A copy of the state h [N,H] the next call starts from; null for zeros (the LSTM adds its c).</summary>
    /// <exception cref="ArgumentException">Set: h is not a positive multiple of H, or the state has a c this layer does not.</exception>
    public virtual RecurrentState? State
    {
        get => Core.HasState ? new RecurrentState(Core.HState.ToArray()) : null;
        set
        {
            if (value is null)
            {
                ResetState();
                return;
            }
            if (value.C.Length != 0)
                throw new ArgumentException($"{GetType().Name}: this layer's state is h alone, with no c.", nameof(value));
            Core.SetState(value.H);
        }
    }

    /// <summary>The gradient of the last backward pass with respect to the starting h [N,H] (the LSTM adds its dc).</summary>
    /// <exception cref="InvalidOperationException">No backward pass yet.</exception>
    public virtual RecurrentState StateGradient => new(Core.Dh.ToArray());

    /// <summary>Forgets the carried state: the next call starts from zeros.</summary>
    public void ResetState() => Core.ResetState();

    /// <inheritdoc/>
    public abstract ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false);

    /// <inheritdoc/>
    public abstract ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys);
}
