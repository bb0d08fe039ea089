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
    public Span<float> Value => _set.ValueBuffer.AsSpan(Offset, Length);

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
/// <remarks>
/// While a model is built, the value buffer grows by doubling and the gradient buffer does not exist yet; both take
/// their exact size on first use of <see cref="Values"/> or <see cref="Gradients"/> (a model used only for inference
/// never allocates gradients).
/// </remarks>
public sealed class ParameterSet
{
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly long _limit;
    private readonly bool _initialise;
    private float[] _values = [];
    private float[] _gradients = [];
    private int _length;

    /// <summary>An empty set.</summary>
    public ParameterSet()
        : this(long.MaxValue, initialise: true)
    {
    }

    /// <summary>
    /// A set for a model whose values are about to be read from a file: <see cref="AddGaussian"/> leaves zeros, and
    /// adding more than <paramref name="limit"/> values in all fails before anything is allocated.
    /// </summary>
    internal ParameterSet(long limit, bool initialise) => (_limit, _initialise) = (limit, initialise);

    /// <summary>A set that only counts: built into a model and never used, it allocates nothing.</summary>
    internal static ParameterSet Counting() => new(long.MaxValue, initialise: false);

    /// <summary>The parameters in the order they were added.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The number of values: the sum of the parameters' lengths.</summary>
    public int Length => _length;

    /// <summary>Every parameter value, one after another.</summary>
    public float[] Values
    {
        get
        {
            if (_values.Length != _length)
                Array.Resize(ref _values, _length);
            return _values;
        }
    }

    /// <summary>Every gradient, in the layout of <see cref="Values"/>.</summary>
    public float[] Gradients
    {
        get
        {
            if (_gradients.Length != _length)
                Array.Resize(ref _gradients, _length);
            return _gradients;
        }
    }

    /// <summary>The value buffer, at least <see cref="Length"/> long (longer while the model is being built).</summary>
    internal float[] ValueBuffer
    {
        get
        {
            if (_values.Length < _length)
                Array.Resize(ref _values, (int)Math.Min(Array.MaxLength, Math.Max(_length, 2L * _values.Length)));
            return _values;
        }
    }

    /// <summary>Adds a zero-initialised rows×cols parameter.</summary>
    /// <exception cref="ArgumentException">The name is already used.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the parameters would not fit one array.</exception>
    public Parameter Add(string name, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (_byName.ContainsKey(name))
            throw new ArgumentException($"A parameter named '{name}' already exists.", nameof(name));
        long length = _length + ((long)rows * cols);
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(cols), $"'{name}' ({rows}×{cols}) would make {length:N0} parameter values; one array holds at most {Array.MaxLength:N0}.");
        if (length > _limit)
            throw new ParameterLimitException(name, rows, cols, length, _limit);
        var parameter = new Parameter(this, name, rows, cols, _length);
        _length = (int)length;
        _parameters.Add(parameter);
        _byName.Add(name, parameter);
        return parameter;
    }

    /// <summary>Adds a rows×cols parameter filled with N(0,1)·<paramref name="scale"/> drawn from <paramref name="random"/>.</summary>
    /// <exception cref="ArgumentException">The name is already used.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the parameters would not fit one array.</exception>
    public Parameter AddGaussian(string name, int rows, int cols, float scale, RandomSource random)
    {
        var parameter = Add(name, rows, cols);
        if (_initialise)
            random.FillGaussian(parameter.Value, scale);
        return parameter;
    }

    /// <summary>Finds a parameter by name.</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public Parameter this[string name] =>
        _byName.TryGetValue(name, out var parameter) ? parameter : throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>Sets every gradient to zero (backward passes add into them).</summary>
    public void ZeroGrad() => Array.Clear(Gradients);
}

/// <summary>A model being loaded describes more parameter values than its file holds.</summary>
internal sealed class ParameterLimitException(string name, int rows, int cols, long length, long limit)
    : Exception($"'{name}' ({rows}×{cols}) brings the model to {length:N0} values; the file holds {limit:N0}");
