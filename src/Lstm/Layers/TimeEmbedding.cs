using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Layers;

/// <summary>
/// Word embedding over T time steps (the book's <c>TimeEmbedding</c>): ids [N,T] → vectors [N,T,D], row id of W [V,D].
/// Backward adds each row of dout into row id of W's gradient (repeated ids accumulate).
/// </summary>
public sealed class TimeEmbedding
{
    private readonly Parameter _w;
    private int[] _ids = [];
    private float[] _out = [];

    /// <summary>An embedding over <paramref name="w"/> [V,D].</summary>
    public TimeEmbedding(Parameter w) => _w = w;

    /// <summary>V, the number of ids.</summary>
    public int VocabularySize => _w.Rows;

    /// <summary>D, the width of each vector.</summary>
    public int EmbeddingSize => _w.Cols;

    /// <summary>Looks up ids [N·T] → out [N·T, D], valid until the next call.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlyMemory<float> Forward(ReadOnlySpan<int> ids)
    {
        int V = VocabularySize, D = EmbeddingSize;
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Token id {ids[i]} at position {i} is outside the vocabulary [0, {V}).");
        }
        ids.CopyTo(Buffers.Ensure(ref _ids, ids.Length));
        var output = Buffers.Ensure(ref _out, ids.Length * D);
        var w = _w.Value;
        for (int i = 0; i < ids.Length; i++)
            w.Slice(ids[i] * D, D).CopyTo(output.AsSpan(i * D, D));
        return output;
    }

    /// <summary>dW[id] += dout[i] for every position i of the last <see cref="Forward"/>.</summary>
    /// <exception cref="ArgumentException">dout does not hold one row of D per id.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(ReadOnlySpan<float> dout)
    {
        int D = EmbeddingSize;
        if (dout.Length != _ids.Length * D)
            throw new ArgumentException($"dout has {dout.Length} values; expected {_ids.Length}×{D}.", nameof(dout));
        var grad = _w.Grad;
        for (int i = 0; i < _ids.Length; i++)
        {
            var row = grad.Slice(_ids[i] * D, D);
            TensorPrimitives.Add(row, dout.Slice(i * D, D), row);
        }
    }
}
