using System.Numerics.Tensors;

namespace Lstm.Kernels;

/// <summary>
/// Element-wise and reduction kernels over spans, on <see cref="TensorPrimitives"/> where it has the operation.
/// Outputs may be the inputs themselves (in place); partial overlap is not allowed.
/// </summary>
internal static class Elementwise
{
    /// <summary>y[i] = 1 / (1 + e^(−x[i])).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        // TensorPrimitives.Sigmoid rejects empty spans; an empty input is a valid, empty result here.
        if (!x.IsEmpty)
            TensorPrimitives.Sigmoid(x, y);
    }

    /// <summary>y[i] = tanh(x[i]).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    /// <summary>y[i] = e^x[i].</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y);

    /// <summary>Σ x[i]².</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x) => TensorPrimitives.SumOfSquares(x);

    /// <summary>x[i] = α·x[i].</summary>
    public static void Scale(Span<float> x, float alpha) => TensorPrimitives.Multiply(x, alpha, x);

    /// <summary>y[i] = y[i] + α·x[i].</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.MultiplyAdd(x, alpha, y, y);

    /// <summary>
    /// Row softmax of a rows×cols matrix: y[r, j] = e^(x[r, j] − m_r) / Σ_j' e^(x[r, j'] − m_r), m_r = max_j x[r, j].
    /// Subtracting the row maximum keeps large logits from overflowing.
    /// </summary>
    public static void SoftmaxRows(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        CheckMatrix(y.Length, rows, cols, nameof(y));
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            if (cols == 0)
                continue;
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Divide(yr, TensorPrimitives.Sum(yr), yr);
        }
    }

    /// <summary>Column sums added into <paramref name="sums"/>: sums[j] += Σ_r x[r, j] over a rows×cols matrix (the bias gradient).</summary>
    public static void AddColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        if (sums.Length != cols)
            throw new ArgumentException($"sums has {sums.Length} elements; expected {cols} (one per column).", nameof(sums));
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(sums, x.Slice(r * cols, cols), sums);
    }

    private static void CheckMatrix(int length, int rows, int cols, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (length != (long)rows * cols)
            throw new ArgumentException($"{name} has {length} elements; expected {rows}×{cols} = {(long)rows * cols}.", name);
    }
}
