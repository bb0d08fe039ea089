namespace Lstm;

/// <summary>
/// One named parameter matrix (rows×cols, row-major): a view of the model's single flat value buffer and of
/// the matching gradient buffer.
/// </summary>
public sealed class Parameter
{
    private readonly ParameterSet _set;

    internal Parameter(ParameterSet set, string name, int rows, int cols, int offset)
    {
        _set = set;
        Name = name;
        Rows = rows;
        Cols = cols;
        Offset = offset;
    }

    /// <summary>The set whose buffers hold this parameter.</summary>
    internal ParameterSet Set => _set;

    /// <summary>The name, e.g. <c>lstm0.Wx</c>.</summary>
    public string Name { get; }

    /// <summary>Rows of the matrix (1 for a vector).</summary>
    public int Rows { get; }

    /// <summary>Columns of the matrix.</summary>
    public int Cols { get; }

    /// <summary>Rows·Cols.</summary>
    public int Length => Rows * Cols;

    /// <summary>Where the parameter starts in <see cref="ParameterSet.Values"/> and <see cref="ParameterSet.Gradients"/>.</summary>
    public int Offset { get; }

    /// <summary>The values, rows×cols row-major.</summary>
    public Span<float> Value => _set.Values.AsSpan(Offset, Length);

    /// <summary>The gradient of the loss; backward passes add into it.</summary>
    public Span<float> Grad => _set.Gradients.AsSpan(Offset, Length);

    /// <summary>Whether <paramref name="next"/> starts where this parameter ends, in the same buffers (a weight and its bias added one after the other).</summary>
    public bool IsFollowedBy(Parameter next) => next._set == _set && next.Offset == Offset + Length;

    /// <summary>The gradients of this parameter and of <paramref name="next"/>, which follows it, as one span.</summary>
    /// <exception cref="ArgumentException"><paramref name="next"/> does not follow this parameter.</exception>
    public Span<float> GradWith(Parameter next) => IsFollowedBy(next)
        ? _set.Gradients.AsSpan(Offset, Length + next.Length)
        : throw new ArgumentException($"'{next.Name}' does not follow '{Name}' in the parameter buffer.", nameof(next));
}

/// <summary>
/// All parameters of a model in one flat buffer, and all gradients in another of the same layout, so clipping,
/// the optimizer and checkpoints are single passes. A tied weight is one parameter used by two layers: both add
/// into its one gradient.
/// </summary>
public sealed class ParameterSet
{
    private readonly List<Parameter> _parameters = [];
    private float[] _values = [];
    private float[] _gradients = [];

    /// <summary>The parameters in the order they were added.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Every parameter value, one after another.</summary>
    public float[] Values => _values;

    /// <summary>Every gradient, in the layout of <see cref="Values"/>.</summary>
    public float[] Gradients => _gradients;

    /// <summary>Adds a zero-initialised rows×cols parameter.</summary>
    /// <exception cref="ArgumentException">The name is already used.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public Parameter Add(string name, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (_parameters.Exists(p => p.Name == name))
            throw new ArgumentException($"A parameter named '{name}' already exists.", nameof(name));
        var parameter = new Parameter(this, name, rows, cols, _values.Length);
        // Parameters are added once, while a model is built: growing by copy keeps one contiguous buffer.
        Array.Resize(ref _values, _values.Length + rows * cols);
        Array.Resize(ref _gradients, _values.Length);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Finds a parameter by name.</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public Parameter this[string name] =>
        _parameters.Find(p => p.Name == name) ?? throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>Sets every gradient to zero (backward passes add into them).</summary>
    public void ZeroGrad() => Array.Clear(_gradients);
}
