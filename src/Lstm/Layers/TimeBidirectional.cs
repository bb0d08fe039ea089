using System.Numerics.Tensors;

namespace Lstm.Layers;

/// <summary>
/// A recurrent layer in both directions (the book's <c>TimeBiLSTM</c>): xs [N,T,D] → [N,T,2H], row t being
/// [h→_t | h←_t], where the forward layer reads the sequence in order and the backward layer reads it reversed
/// within each sequence's own length, its outputs put back in the input's order.
/// </summary>
/// <remarks>
/// Both layers must return every step and not carry state between calls. Past a sequence's end (with
/// <see cref="SequenceShape.Lengths"/>) the output repeats the forward layer's last h and the backward layer's frozen
/// one; give those positions the label −1.
/// </remarks>
public sealed class TimeBidirectional : ILayer
{
    private readonly IRecurrentLayer _forward, _backward;
    private float[] _reversed = [], _ys = [], _dForward = [], _dBackward = [], _dxs = [];
    private SequenceShape _shape;

    /// <summary>The two directions; they share D and H.</summary>
    /// <exception cref="ArgumentException">The layers differ in size, keep only the last step, or are stateful.</exception>
    public TimeBidirectional(IRecurrentLayer forward, IRecurrentLayer backward)
    {
        if (forward.InputSize != backward.InputSize || forward.HiddenSize != backward.HiddenSize)
            throw new ArgumentException($"The directions differ: D×H {forward.InputSize}×{forward.HiddenSize} and {backward.InputSize}×{backward.HiddenSize}.", nameof(backward));
        if (!forward.ReturnSequences || !backward.ReturnSequences || forward.Stateful || backward.Stateful)
            throw new ArgumentException("Both directions must return every step and not be stateful.", nameof(forward));
        (_forward, _backward) = (forward, backward);
        Parameters = [.. forward.Parameters, .. backward.Parameters];
    }

    /// <summary>Two LSTMs, <c>{name}.forward.*</c> and <c>{name}.backward.*</c>, initialised as in the book.</summary>
    public static TimeBidirectional Lstm(ParameterSet parameters, string name, int inputSize, int hiddenSize, RandomSource random)
        => new(TimeLSTM.Create(parameters, $"{name}.forward", inputSize, hiddenSize, random),
               TimeLSTM.Create(parameters, $"{name}.backward", inputSize, hiddenSize, random));

    /// <summary>The layer that reads each sequence in order.</summary>
    public IRecurrentLayer ForwardLayer => _forward;

    /// <summary>The layer that reads each sequence reversed.</summary>
    public IRecurrentLayer BackwardLayer => _backward;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public int InputSize => _forward.InputSize;

    /// <summary>2H: both directions' h side by side.</summary>
    public int OutputSize => 2 * _forward.HiddenSize;

    /// <inheritdoc/>
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        shape.Validate(Math.Max(InputSize, OutputSize));
        int D = InputSize, H = _forward.HiddenSize;
        if (xs.Length != shape.Rows * D)
            throw new ArgumentException($"TimeBidirectional: xs has {xs.Length} values; expected N×T×D = {shape.BatchSize}×{shape.TimeSteps}×{D}.", nameof(xs));
        _shape = shape;
        var hf = _forward.Forward(xs, shape, training);
        var reversed = Buffers.Ensure(ref _reversed, xs.Length);
        ReverseWithinLengths(xs.Span, shape, D, reversed);
        var hb = _backward.Forward(reversed, shape, training);
        var ys = Buffers.Ensure(ref _ys, shape.Rows * 2 * H);
        for (int n = 0; n < shape.BatchSize; n++)
        {
            for (int t = 0; t < shape.TimeSteps; t++)
            {
                int row = n * shape.TimeSteps + t;
                hf.Span.Slice(row * H, H).CopyTo(ys.AsSpan(row * 2 * H));
                hb.Span.Slice(Reversed(shape, n, t) * H, H).CopyTo(ys.AsSpan(row * 2 * H + H));
            }
        }
        return ys;
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        var shape = _shape;
        int D = InputSize, H = _forward.HiddenSize;
        if (shape.BatchSize == 0)
            throw new InvalidOperationException("TimeBidirectional: Backward needs a Forward first.");
        if (dys.Length != shape.Rows * 2 * H)
            throw new ArgumentException($"TimeBidirectional: dys has {dys.Length} values; expected {shape.Rows}×{2 * H}.", nameof(dys));
        var dForward = Buffers.Ensure(ref _dForward, shape.Rows * H);
        var dBackward = Buffers.Ensure(ref _dBackward, shape.Rows * H);
        for (int n = 0; n < shape.BatchSize; n++)
        {
            for (int t = 0; t < shape.TimeSteps; t++)
            {
                int row = n * shape.TimeSteps + t;
                dys.Span.Slice(row * 2 * H, H).CopyTo(dForward.AsSpan(row * H));
                dys.Span.Slice(row * 2 * H + H, H).CopyTo(dBackward.AsSpan(Reversed(shape, n, t) * H));
            }
        }
        var dxs = Buffers.Ensure(ref _dxs, shape.Rows * D);
        _forward.Backward(dForward).Span.CopyTo(dxs);
        var dReversed = _backward.Backward(dBackward).Span;
        for (int n = 0; n < shape.BatchSize; n++)
        {
            for (int t = 0; t < shape.TimeSteps; t++)
            {
                var row = dxs.AsSpan((n * shape.TimeSteps + t) * D, D);
                TensorPrimitives.Add(row, dReversed.Slice(Reversed(shape, n, t) * D, D), row);
            }
        }
        return dxs;
    }

    /// <summary>The row that step t of sequence n has in reversed time: length − 1 − t within the sequence, t itself in its padding.</summary>
    private static int Reversed(SequenceShape shape, int n, int t)
    {
        int length = shape.Length(n);
        return n * shape.TimeSteps + (t < length ? length - 1 - t : t);
    }

    private static void ReverseWithinLengths(ReadOnlySpan<float> xs, SequenceShape shape, int D, Span<float> reversed)
    {
        for (int n = 0; n < shape.BatchSize; n++)
        {
            for (int t = 0; t < shape.TimeSteps; t++)
                xs.Slice((n * shape.TimeSteps + t) * D, D).CopyTo(reversed[(Reversed(shape, n, t) * D)..]);
        }
    }
}
