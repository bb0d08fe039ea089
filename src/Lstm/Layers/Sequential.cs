namespace Lstm.Layers;

/// <summary>
/// Layers applied one after another (the book's layer list): forward in order, backward in reverse, each layer's
/// output the next one's input. Itself a layer, so a sequential block can sit inside another model.
/// </summary>
public sealed class Sequential : ILayer
{
    private readonly ILayer[] _layers;

    /// <summary>The layers in order.</summary>
    /// <exception cref="ArgumentException">There are no layers, or one's input width differs from the previous one's output.</exception>
    public Sequential(params ILayer[] layers)
    {
        if (layers.Length == 0)
            throw new ArgumentException("A sequential model needs at least one layer.", nameof(layers));
        for (int i = 1; i < layers.Length; i++)
        {
            if (layers[i].InputSize != layers[i - 1].OutputSize)
                throw new ArgumentException(
                    $"Layer {i} ({layers[i].GetType().Name}) takes {layers[i].InputSize} features; layer {i - 1} ({layers[i - 1].GetType().Name}) gives {layers[i - 1].OutputSize}.",
                    nameof(layers));
        }
        _layers = layers;
        // A parameter used by two layers (a tied weight) is listed once.
        Parameters = [.. layers.SelectMany(l => l.Parameters).Distinct()];
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<ILayer> Layers => _layers;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public int InputSize => _layers[0].InputSize;

    /// <inheritdoc/>
    public int OutputSize => _layers[^1].OutputSize;

    /// <inheritdoc/>
    public SequenceShape OutputShape(SequenceShape input)
    {
        foreach (var layer in _layers)
            input = layer.OutputShape(input);
        return input;
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            xs = _layers[i].Forward(xs, shape, training);
            shape = _layers[i].OutputShape(shape);
        }
        return xs;
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        for (int i = _layers.Length - 1; i >= 0; i--)
            dys = _layers[i].Backward(dys);
        return dys;
    }
}
