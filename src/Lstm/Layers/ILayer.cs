namespace Lstm.Layers;

/// <summary>
/// The shape of a batch of sequences: N sequences of T steps (the features per step belong to the layer), and, for a
/// batch of sequences of different lengths padded to T, each one's length.
/// </summary>
/// <param name="BatchSize">N, sequences in the batch.</param>
/// <param name="TimeSteps">T, steps per sequence.</param>
public readonly record struct SequenceShape(int BatchSize, int TimeSteps)
{
    /// <summary>N·T, the rows of a [N,T,·] buffer.</summary>
    public int Rows => BatchSize * TimeSteps;

    /// <summary>
    /// The length of each sequence, N values in [1, T], or empty when all are T. A recurrent layer's state stays frozen
    /// after a sequence ends (its outputs repeat the last real step's, and no gradient flows through the padding); give
    /// padded positions the label −1 so the loss ignores them.
    /// </summary>
    public ReadOnlyMemory<int> Lengths { get; init; }

    /// <summary>The length of sequence <paramref name="n"/>.</summary>
    public int Length(int n) => Lengths.IsEmpty ? TimeSteps : Lengths.Span[n];

    /// <summary>Throws unless N and T are positive, N·T·<paramref name="features"/> fits in an array, and the lengths are N values in [1, T].</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the buffer would be too large, or a length is out of range.</exception>
    public void Validate(int features = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(TimeSteps, 1, nameof(TimeSteps));
        if ((long)BatchSize * TimeSteps * features > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), $"N×T×features = {BatchSize}×{TimeSteps}×{features} values do not fit in one buffer.");
        if (Lengths.IsEmpty)
            return;
        if (Lengths.Length != BatchSize)
            throw new ArgumentOutOfRangeException(nameof(Lengths), $"{Lengths.Length} lengths for {BatchSize} sequences.");
        var lengths = Lengths.Span;
        for (int n = 0; n < lengths.Length; n++)
        {
            if (lengths[n] < 1 || lengths[n] > TimeSteps)
                throw new ArgumentOutOfRangeException(nameof(Lengths), $"Sequence {n} has length {lengths[n]}; lengths must be in [1, T = {TimeSteps}].");
        }
    }
}

/// <summary>
/// The layer contract (the book's: parameters, <c>forward</c>, <c>backward</c>): xs [N,T,InputSize] →
/// ys [N,T′,OutputSize], with T′ = <see cref="OutputShape"/>(shape).TimeSteps (T, or 1 for a layer that keeps only the
/// last step).
/// </summary>
/// <remarks>
/// <para>Gradients: <see cref="Backward"/> <b>adds</b> into the gradients of the layer's <see cref="Parameters"/> (a
/// weight shared by two layers just works; <see cref="ParameterSet.ZeroGrad"/> clears them) and <b>writes</b> the
/// gradient of its input, which it returns. A buffer that feeds two consumers gets the sum of the two gradients they
/// return: the model that wires them adds them (the book's way), as <see cref="Sequential"/> never needs to.</para>
/// <para>Buffers: the result of <see cref="Forward"/> and of <see cref="Backward"/> belongs to the layer and is valid
/// until its next call; a layer keeps the xs it was given (it reads them again in <see cref="Backward"/>), so the caller
/// must not change them in between. Buffers are sized once per shape and reused: no allocation per step.</para>
/// </remarks>
public interface ILayer
{
    /// <summary>The parameters this layer reads; backward adds into their gradients.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Features per input step (D; 1 for token ids).</summary>
    int InputSize { get; }

    /// <summary>Features per output step.</summary>
    int OutputSize { get; }

    /// <summary>The shape of the output for an input of <paramref name="input"/>.</summary>
    SequenceShape OutputShape(SequenceShape input) => input;

    /// <summary>xs [N,T,InputSize] → ys [N,T′,OutputSize]; <paramref name="training"/> turns on what only training does (dropout).</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T·InputSize values.</exception>
    ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training);

    /// <summary>dys [N,T′,OutputSize] → dxs [N,T,InputSize] (empty for token ids); adds into the parameters' gradients.</summary>
    /// <exception cref="ArgumentException">dys does not match the last <see cref="Forward"/>.</exception>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys);
}

/// <summary>The carried state of a recurrent layer: h [N,H], and c [N,H] for an LSTM (empty otherwise).</summary>
/// <param name="H">The hidden state, row n for sequence n.</param>
/// <param name="C">The LSTM's memory cell; empty for layers without one.</param>
public sealed record RecurrentState(float[] H, float[] C)
{
    /// <summary>A state with h only (RNN, GRU).</summary>
    public RecurrentState(float[] h)
        : this(h, [])
    {
    }
}

/// <summary>
/// A layer that runs over time with a state (<see cref="TimeLSTM"/>, <see cref="TimeRNN"/>): each sequence starts from
/// <see cref="State"/> (zeros when there is none), and a stateful layer keeps its last state for the next call
/// (truncated BPTT: the gradient stops at the batch boundary, the state does not).
/// </summary>
public interface IRecurrentLayer : ILayer
{
    /// <summary>H, the width of h.</summary>
    int HiddenSize { get; }

    /// <summary>Whether the state carries over from one call to the next.</summary>
    bool Stateful { get; }

    /// <summary>Whether the output is every step's h [N,T,H] (true) or the last step's [N,1,H].</summary>
    bool ReturnSequences { get; }

    /// <summary>
    /// A copy of the state the next call starts from (the last call's final state when stateful), or null for zeros.
    /// Setting it makes the next call start there, stateful or not (a seq2seq decoder starts from the encoder's state).
    /// </summary>
    /// <exception cref="ArgumentException">Set: the state does not hold N×H values (and c the same as h, for an LSTM).</exception>
    RecurrentState? State { get; set; }

    /// <summary>Forgets the state: the next call starts from zeros.</summary>
    void ResetState();

    /// <summary>The gradient of the last <see cref="ILayer.Backward"/> with respect to the starting state: dh [N,H] (and dc).</summary>
    /// <exception cref="InvalidOperationException">No backward pass yet.</exception>
    RecurrentState StateGradient { get; }
}

/// <summary>
/// A loss at the end of a model: ys [N,T′,K] and targets → a mean loss, and <see cref="Backward"/> → dys of the same
/// shape as ys (the gradient of the mean). Targets are floats for every loss: class labels as values, −1
/// (<see cref="TimeSoftmaxWithLoss.IgnoreLabel"/>) for a position that takes no part.
/// </summary>
public interface ILossLayer
{
    /// <summary>The mean loss of ys against targets; in <paramref name="training"/> also the gradient for <see cref="Backward"/>.</summary>
    /// <exception cref="ArgumentException">The sizes do not fit together.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside the range of the loss.</exception>
    float Forward(ReadOnlyMemory<float> ys, ReadOnlyMemory<float> targets, SequenceShape shape, bool training);

    /// <summary>dys, the gradient of the last training <see cref="Forward"/>; valid until the next call.</summary>
    /// <exception cref="InvalidOperationException">The last forward pass did not compute a gradient.</exception>
    ReadOnlyMemory<float> Backward();
}
