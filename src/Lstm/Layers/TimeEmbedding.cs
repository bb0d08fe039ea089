using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Layers;

/// <summary>
/// Token embedding over T time steps (the book's <c>TimeEmbedding</c>): ids [N,T,1] → vectors [N,T,D], row id of W [V,D].
/// Backward adds each row of dys into row id of W's gradient (repeated ids accumulate).
/// </summary>
/// <remarks>Ids travel as float values, like every layer input (exact for every V up to 2²⁴).</remarks>
public sealed class TimeEmbedding : ILayer
{
    /// <summary>The largest vocabulary whose ids are exact as floats.</summary>
    public const int MaxVocabularySize = 1 << 24;

    private int[] _ids = [];
    private float[] _out = [];
    private InferenceWeights? _inference;

    /// <summary>An embedding over <paramref name="w"/> [V,D].</summary>
    /// <exception cref="ArgumentException">V is over <see cref="MaxVocabularySize"/>.</exception>
    public TimeEmbedding(Parameter w)
    {
        if (w.Rows > MaxVocabularySize)
            throw new ArgumentException($"An embedding has at most {MaxVocabularySize} ids; W has {w.Rows} rows.", nameof(w));
        W = w;
        Parameters = [w];
    }

    /// <summary>Adds <c>{name}.W</c> [V,D] to <paramref name="parameters"/>, initialised as in the book (N(0,1)/100), and returns the layer over it.</summary>
    public static TimeEmbedding Create(ParameterSet parameters, string name, int vocabularySize, int embeddingSize, RandomSource random)
    {
        var w = parameters.AddGaussian($"{name}.W", vocabularySize, embeddingSize, 0.01f, random);
        return new TimeEmbedding(w);
    }

    /// <summary>W [V,D], one row per id.</summary>
    public Parameter W { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>V, the number of ids.</summary>
    public int VocabularySize => W.Rows;

    /// <summary>D, the width of each vector.</summary>
    public int EmbeddingSize => W.Cols;

    /// <summary>1: one id per step.</summary>
    public int InputSize => 1;

    /// <summary>D.</summary>
    public int OutputSize => W.Cols;

    /// <summary>Looks rows up in a reduced-precision copy of W (shared with a tied affine map) in forward passes of at most 4 rows that do not train; null drops it.</summary>
    internal void SetInferenceWeights(InferenceWeights? weights) => _inference = weights;

    /// <summary>Looks up ids [N,T] → [N,T,D], valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a whole number in [0, V).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training = false)
    {
        shape.Validate(EmbeddingSize);
        int V = VocabularySize, D = EmbeddingSize;
        if (xs.Length != shape.Rows)
            throw new ArgumentException($"TimeEmbedding: xs has {xs.Length} ids; expected N×T = {shape.BatchSize}×{shape.TimeSteps}.", nameof(xs));
        var values = xs.Span;
        var ids = Buffers.Ensure(ref _ids, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            float x = values[i];
            if (!(x >= 0f && x < V) || x != MathF.Floor(x))
                throw new ArgumentOutOfRangeException(nameof(xs), x, $"Token id {x} at position {i} is outside the vocabulary [0, {V}).");
            ids[i] = (int)x;
        }
        var output = Buffers.Ensure(ref _out, ids.Length * D);
        var w = W.Value;
        for (int i = 0; i < ids.Length; i++)
        {
            if (_inference is not null && !training && ids.Length <= InferenceWeights.MaxRows)
                _inference.WidenRow(ids[i], output.AsSpan(i * D, D));
            else
                w.Slice(ids[i] * D, D).CopyTo(output.AsSpan(i * D, D));
        }
        return output;
    }

    /// <summary>dW[id] += dys[i] for every position i of the last <see cref="Forward"/>; returns an empty dxs (ids have no gradient).</summary>
    /// <exception cref="ArgumentException">dys does not hold one row of D per id.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        int D = EmbeddingSize;
        if (_ids.Length == 0)
            throw new InvalidOperationException("TimeEmbedding: Backward needs a Forward first.");
        if (dys.Length != _ids.Length * D)
            throw new ArgumentException($"TimeEmbedding: dys has {dys.Length} values; expected {_ids.Length}×{D}.", nameof(dys));
        var grad = W.Grad;
        var dout = dys.Span;
        for (int i = 0; i < _ids.Length; i++)
        {
            var row = grad.Slice(_ids[i] * D, D);
            TensorPrimitives.Add(row, dout.Slice(i * D, D), row);
        }
        return ReadOnlyMemory<float>.Empty;
    }
}
