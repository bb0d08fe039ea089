using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Kernels;

/// <summary>
/// Element-wise and reduction kernels over spans, on <see cref="TensorPrimitives"/> where it has the operation.
/// Outputs may be the inputs themselves (in place); partial overlap is not allowed.
/// </summary>
internal static class Elementwise
{
    /// <summary>Σ x[i]².</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x) => TensorPrimitives.SumOfSquares(x);

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or −1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // A block's sum times 0 is 0 when every value is finite (or NaN when the sum overflows: the loop then finds none).
        const int Block = 4096;
        for (int start = 0; start < values.Length; start += Block)
        {
            var block = values.Slice(start, Math.Min(Block, values.Length - start));
            if (float.IsFinite(TensorPrimitives.Sum(block) * 0f))
                continue;
            for (int i = 0; i < block.Length; i++)
            {
                if (!float.IsFinite(block[i]))
                    return start + i;
            }
        }
        return -1;
    }

    /// <summary>x[i] = α·x[i].</summary>
    public static void Scale(Span<float> x, float alpha) => TensorPrimitives.Multiply(x, alpha, x);

    /// <summary>Column sums added into <paramref name="sums"/>: sums[j] += Σ_r x[r, j] over a rows×cols matrix (the bias gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        if (sums.Length != cols)
            throw new ArgumentException($"sums has {sums.Length} elements; expected {cols} (one per column).", nameof(sums));
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(sums, x.Slice(r * cols, cols), sums);
    }

    /// <summary>
    /// Row r of y is [a[r] | b[r / repeat]]: a [rows, A] and b [rows / repeat, B] side by side in y [rows, A + B]
    /// (repeat = T puts one vector per sequence beside each of its T steps).
    /// </summary>
    public static void ConcatColumns(ReadOnlySpan<float> a, int aCols, ReadOnlySpan<float> b, int bCols, int repeat, Span<float> y)
    {
        int rows = a.Length / aCols, cols = aCols + bCols;
        CheckMatrix(b.Length, rows / repeat, bCols, nameof(b));
        CheckMatrix(y.Length, rows, cols, nameof(y));
        for (int r = 0; r < rows; r++)
        {
            a.Slice(r * aCols, aCols).CopyTo(y.Slice(r * cols));
            b.Slice(r / repeat * bCols, bCols).CopyTo(y.Slice(r * cols + aCols));
        }
    }

    /// <summary>
    /// The gradient of <see cref="ConcatColumns"/>: da [rows, A] = dy[:, :A] (written) and db[r / repeat] += dy[r, A:]
    /// (added: a vector beside T steps gathers their T gradients).
    /// </summary>
    public static void SplitColumns(ReadOnlySpan<float> dy, int aCols, int bCols, int repeat, Span<float> da, Span<float> db)
    {
        int cols = aCols + bCols, rows = dy.Length / cols;
        CheckMatrix(da.Length, rows, aCols, nameof(da));
        CheckMatrix(db.Length, rows / repeat, bCols, nameof(db));
        for (int r = 0; r < rows; r++)
        {
            dy.Slice(r * cols, aCols).CopyTo(da.Slice(r * aCols));
            var dbRow = db.Slice(r / repeat * bCols, bCols);
            TensorPrimitives.Add(dbRow, dy.Slice(r * cols + aCols, bCols), dbRow);
        }
    }

    private static void CheckMatrix(int length, int rows, int cols, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (length != (long)rows * cols)
            throw new ArgumentException($"{name} has {length} elements; expected {rows}×{cols} = {(long)rows * cols}.", name);
    }

    /// <summary>
    /// y[i] = e^(x[i] − shift), returning Σ y[i]: the exponentials of a softmax row and their sum in one pass.
    /// </summary>
    /// <remarks>
    /// e^v = 2^n · e^r with n = round(v·log₂e) and |r| ≤ ln2/2, e^r by the degree-6 polynomial of Cephes' expf
    /// (within 2 ulp), and 0 below e^−60. Several times faster than a double-precision exponential, which matters for
    /// a 10,000-word softmax.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpShiftedSum(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        if (y.Length != x.Length)
            throw new ArgumentException($"y has {y.Length} elements; expected {x.Length}.", nameof(y));
        int i = 0;
        float sum = 0f;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var total = Vector<float>.Zero;
            var vShift = new Vector<float>(shift);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var e = Exp(new Vector<float>(x[i..]) - vShift);
                e.CopyTo(y[i..]);
                total += e;
            }
            sum = Vector.Sum(total);
        }

        for (; i < x.Length; i++)
        {
            float e = Exp(new Vector<float>(x[i] - shift))[0];
            y[i] = e;
            sum += e;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Exp(Vector<float> v)
    {
        // Below e^−60 the result is 0: such terms cannot move a softmax sum (at least 1), and as probabilities scaled by
        // 1/count they would be denormals, which slow every later product by an order of magnitude. Clamping there
        // also keeps 2^n normal. Native min/max and conversion: one instruction each, NaN handling is not needed here.
        var negligible = Vector.LessThan(v, new Vector<float>(-60f));
        v = Vector.MinNative(Vector.MaxNative(v, new Vector<float>(-60f)), new Vector<float>(88.72283f));
        var n = Vector.Floor(Vector.MultiplyAddEstimate(v, new Vector<float>(1.44269504088896341f), new Vector<float>(0.5f)));
        // r = v − n·ln2, with ln2 split in two so n·ln2_hi is exact.
        var r = Vector.MultiplyAddEstimate(n, new Vector<float>(-0.693359375f), v);
        r = Vector.MultiplyAddEstimate(n, new Vector<float>(2.12194440e-4f), r);
        var p = new Vector<float>(1.9875691500e-4f);
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(1.3981999507e-3f));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.MultiplyAddEstimate(p, r, new Vector<float>(5.0000001201e-1f));
        p = Vector.MultiplyAddEstimate(p, r * r, r + Vector<float>.One);
        var pow2n = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32Native(n) + new Vector<int>(127), 23));
        return Vector.ConditionalSelect(negligible, Vector<float>.Zero, p * pow2n);
    }
}
