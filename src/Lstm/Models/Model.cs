using Lstm.Layers;

namespace Lstm.Models;

/// <summary>
/// What the trainer, the evaluation, generation and checkpoints work with: parameters in one flat buffer, a forward
/// pass to a mean loss, a backward pass that adds into the gradients, and the recurrent layers whose state carries.
/// Inputs are [N,T,InputSize] (token ids as values for a model that starts with an embedding); targets are what the
/// model's loss takes (labels as values, −1 ignored; or values to regress on).
/// </summary>
/// <remarks>
/// The loop is the familiar one: <see cref="ParameterSet.ZeroGrad"/>, <see cref="Forward"/>, <see cref="Backward"/>,
/// an optimizer step. One instance is not for concurrent use (its layers keep the buffers of the last batch): a call while
/// another thread is inside one throws <see cref="InvalidOperationException"/>.
/// </remarks>
public abstract class Model
{
    /// <summary>A model over <paramref name="parameters"/>, drawing dropout masks from <paramref name="random"/>.</summary>
    protected Model(ParameterSet parameters, RandomSource random) => (Parameters, Random) = (parameters, random);

    /// <summary>Every parameter and gradient, in one flat buffer each.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The generator behind initialisation and dropout masks (its state is part of a resumable run).</summary>
    public RandomSource Random { get; }

    private int _user, _depth;

    /// <summary>
    /// Marks a call into the model until the scope is disposed, and throws if another thread is inside one: one model
    /// keeps the buffers of its last batch, so two threads at once would silently mix their results. Calls from the
    /// same thread nest.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another thread is using the model.</exception>
    protected UseScope Use()
    {
        int me = Environment.CurrentManagedThreadId;
        int user = Interlocked.CompareExchange(ref _user, me, 0);
        if (user != 0 && user != me)
            throw new InvalidOperationException($"This {GetType().Name} is in use by another thread; one model is not for concurrent use: give each thread its own (load or build another).");
        _depth++;
        return new UseScope(this);
    }

    /// <summary>The scope of one call into a model, from <see cref="Use"/>.</summary>
    protected readonly ref struct UseScope
    {
        private readonly Model _model;

        internal UseScope(Model model) => _model = model;

        /// <summary>Ends the call; the model is free for any thread once the outermost call ends.</summary>
        public void Dispose()
        {
            if (--_model._depth == 0)
                Volatile.Write(ref _model._user, 0);
        }
    }

    /// <summary>Features per input step (1 for token ids).</summary>
    public abstract int InputSize { get; }

    /// <summary>Features per output step (V for a language model's scores).</summary>
    public abstract int OutputSize { get; }

    /// <summary>The recurrent layers, whose state <see cref="SaveState"/> and <see cref="ResetState"/> cover.</summary>
    public abstract IReadOnlyList<IRecurrentLayer> RecurrentLayers { get; }

    /// <summary>
    /// The name <see cref="IO.Checkpoint"/> stores to rebuild the model (with <see cref="Configuration"/>), or null for a
    /// model that is rebuilt by its own code and loaded with <see cref="IO.Checkpoint.LoadInto"/>.
    /// </summary>
    public virtual string? Kind => null;

    /// <summary>The model's configuration as JSON, stored in checkpoints beside <see cref="Kind"/>.</summary>
    public virtual string Configuration => "{}";

    /// <summary>The shape of the outputs for inputs of <paramref name="input"/>.</summary>
    public abstract SequenceShape OutputShape(SequenceShape input);

    /// <summary>The outputs before the loss (scores, values): inputs [N,T,InputSize] → [N,T′,OutputSize], dropout off; valid until the next call.</summary>
    /// <exception cref="ArgumentException">The inputs do not fit the shape.</exception>
    /// <exception cref="InvalidOperationException">Another thread is using the model.</exception>
    public ReadOnlyMemory<float> Predict(ReadOnlyMemory<float> inputs, SequenceShape shape)
    {
        using var use = Use();
        return OnPredict(inputs, shape);
    }

    /// <summary>The mean loss of the model on one batch; in training (dropout on) it keeps what <see cref="Backward"/> needs.</summary>
    /// <exception cref="ArgumentException">The inputs or targets do not fit the shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id or a label is out of range.</exception>
    /// <exception cref="InvalidOperationException">Another thread is using the model.</exception>
    public float Forward(ReadOnlyMemory<float> inputs, ReadOnlyMemory<float> targets, SequenceShape shape, bool training = true)
    {
        using var use = Use();
        return OnForward(inputs, targets, shape, training);
    }

    /// <summary>Backpropagates the last training <see cref="Forward"/>, adding into every parameter's gradient.</summary>
    /// <exception cref="InvalidOperationException">No training forward pass to go back through, or another thread is using the model.</exception>
    public void Backward()
    {
        using var use = Use();
        OnBackward();
    }

    /// <summary>What <see cref="Predict"/> computes, called once the model is known to be in use by this thread only.</summary>
    protected abstract ReadOnlyMemory<float> OnPredict(ReadOnlyMemory<float> inputs, SequenceShape shape);

    /// <summary>What <see cref="Forward"/> computes, called once the model is known to be in use by this thread only.</summary>
    protected abstract float OnForward(ReadOnlyMemory<float> inputs, ReadOnlyMemory<float> targets, SequenceShape shape, bool training);

    /// <summary>What <see cref="Backward"/> computes, called once the model is known to be in use by this thread only.</summary>
    protected abstract void OnBackward();

    /// <summary>Forgets the state of every recurrent layer.</summary>
    /// <exception cref="InvalidOperationException">Another thread is using the model.</exception>
    public void ResetState()
    {
        using var use = Use();
        foreach (var layer in RecurrentLayers)
            layer.ResetState();
    }

    /// <summary>A copy of every recurrent layer's carried state (null where there is none), for <see cref="RestoreState"/>.</summary>
    /// <exception cref="InvalidOperationException">Another thread is using the model.</exception>
    public RecurrentState?[] SaveState()
    {
        using var use = Use();
        return [.. RecurrentLayers.Select(layer => layer.State)];
    }

    /// <summary>Restores the states taken by <see cref="SaveState"/>.</summary>
    /// <exception cref="ArgumentException">The states do not fit this model.</exception>
    /// <exception cref="InvalidOperationException">Another thread is using the model.</exception>
    public void RestoreState(IReadOnlyList<RecurrentState?> states)
    {
        using var use = Use();
        var layers = RecurrentLayers;
        if (states.Count != layers.Count)
            throw new ArgumentException($"Expected the states of {layers.Count} recurrent layers; got {states.Count}.", nameof(states));
        for (int l = 0; l < states.Count; l++)
            layers[l].State = states[l];
    }
}

/// <summary>
/// A model that is a <see cref="Sequential"/> of layers followed by a loss (the book's <c>layers</c> list and
/// <c>loss_layer</c>): a classifier, a regressor or a language model in a few lines.
/// </summary>
public class SequentialModel : Model
{
    private bool _hasGradient;

    /// <summary>The layers, then the loss; every parameter of the layers must live in <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">A layer's parameter is not in <paramref name="parameters"/>.</exception>
    public SequentialModel(Sequential layers, ILossLayer loss, ParameterSet parameters, RandomSource random)
        : base(parameters, random)
    {
        foreach (var p in layers.Parameters)
        {
            if (p.Set != parameters)
                throw new ArgumentException($"Parameter '{p.Name}' is not in the model's parameter set.", nameof(parameters));
        }
        (Layers, Loss) = (layers, loss);
        RecurrentLayers = [.. layers.Layers.OfType<IRecurrentLayer>()];
    }

    /// <summary>The layers, in order.</summary>
    public Sequential Layers { get; }

    /// <summary>
    /// Keeps the weight matrices of the embedding, recurrent and affine layers also in <paramref name="precision"/>, for forward passes
    /// of at most 4 rows (generating text one token at a time): bfloat16 halves the bytes each token reads, int8 quarters
    /// them. A snapshot of the weights now; training refuses it until <see cref="WeightPrecision.Float32"/> drops it.
    /// </summary>
    public void SetInferencePrecision(WeightPrecision precision)
    {
        using var use = Use();
        foreach (var (layer, weight, copy) in InferenceCopies(precision))
        {
            switch (layer)
            {
                case RecurrentLayer recurrent: recurrent.SetInferenceWeights(weight, copy, precision); break;
                case TimeAffine affine: affine.SetInferenceWeights(copy, precision); break;
                case TimeEmbedding embedding: embedding.SetInferenceWeights(copy); break;
            }
        }
    }

    /// <summary>
    /// Rounds the weight matrices <see cref="SetInferencePrecision"/> would copy to the values such a copy holds, in
    /// place: a float model that computes what the reduced-precision one does, at any batch size (to measure what the
    /// precision costs, e.g. in perplexity).
    /// </summary>
    public void RoundWeights(WeightPrecision precision)
    {
        using var use = Use();
        var rounded = new HashSet<Parameter>();
        foreach (var (_, weight, copy) in InferenceCopies(precision))
        {
            if (rounded.Add(weight))
                copy?.Widen(weight.Value);
        }
    }

    /// <summary>
    /// For each weight matrix of the embedding, recurrent and affine layers, its reduced-precision copy (null for
    /// <see cref="WeightPrecision.Float32"/>), made when first met: a tied embedding and affine map share one.
    /// </summary>
    private IEnumerable<(ILayer Layer, Parameter Weight, InferenceWeights? Copy)> InferenceCopies(WeightPrecision precision)
    {
        var copies = new Dictionary<Parameter, InferenceWeights?>();
        foreach (var layer in Layers.Layers)
        {
            // x·W products keep W transposed; x·Eᵀ (tied) and row look-ups keep E as it is.
            (Parameter Weight, bool ForInputRows)[] weights = layer switch
            {
                RecurrentLayer recurrent => [(recurrent.Wx, true), (recurrent.Wh, true)],
                TimeAffine affine => [(affine.W, !affine.Tied)],
                TimeEmbedding embedding => [(embedding.W, false)],
                _ => [],
            };
            foreach (var (weight, forInputRows) in weights)
            {
                if (!copies.TryGetValue(weight, out var copy))
                    copies[weight] = copy = InferenceWeights.Create(weight, precision, forInputRows);
                yield return (layer, weight, copy);
            }
        }
    }

    /// <summary>The loss after the last layer.</summary>
    public ILossLayer Loss { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<IRecurrentLayer> RecurrentLayers { get; }

    /// <inheritdoc/>
    public override int InputSize => Layers.InputSize;

    /// <inheritdoc/>
    public override int OutputSize => Layers.OutputSize;

    /// <inheritdoc/>
    public override SequenceShape OutputShape(SequenceShape input) => Layers.OutputShape(input);

    /// <inheritdoc/>
    protected override ReadOnlyMemory<float> OnPredict(ReadOnlyMemory<float> inputs, SequenceShape shape)
    {
        _hasGradient = false;
        return Layers.Forward(inputs, shape, training: false);
    }

    /// <inheritdoc/>
    protected override float OnForward(ReadOnlyMemory<float> inputs, ReadOnlyMemory<float> targets, SequenceShape shape, bool training)
    {
        _hasGradient = false;
        var ys = Layers.Forward(inputs, shape, training);
        float loss = Loss.Forward(ys, targets, Layers.OutputShape(shape), training);
        _hasGradient = training;
        return loss;
    }

    /// <inheritdoc/>
    protected override void OnBackward()
    {
        if (!_hasGradient)
            throw new InvalidOperationException("Backward needs a Forward in training mode first.");
        _hasGradient = false;
        Layers.Backward(Loss.Backward());
    }
}
