using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Lstm.Kernels;

/// <summary>
/// Weights stored in bfloat16 (the top half of a float) or int8 with one scale per row, and the matrix–vector products
/// of generation over them: half or a quarter of the bytes per token, so a model that streams its weights from memory
/// at fp32 can keep them in the last-level cache. Each product widens the stored values to float exactly and
/// multiply-adds in float, in one fixed order per output.
/// </summary>
internal static class LowPrecision
{
    /// <summary>x rounded to the nearest bfloat16 (ties to even; NaN stays NaN).</summary>
    public static ushort ToBFloat16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x))
            return (ushort)((bits >> 16) | 0x40);
        bits += 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)(bits >> 16);
    }

    /// <summary>The float a bfloat16 stands for (exact).</summary>
    public static float FromBFloat16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Every value rounded to bfloat16.</summary>
    public static ushort[] ToBFloat16(ReadOnlySpan<float> values)
    {
        var result = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = ToBFloat16(values[i]);
        return result;
    }

    /// <summary>Each row of a rows×cols matrix as int8 times a scale: q = round(w / s) with s = max |w| / 127 of the row (1 for a row of zeros).</summary>
    public static (sbyte[] Values, float[] Scales) ToInt8(ReadOnlySpan<float> w, int rows, int cols)
    {
        var q = new sbyte[rows * cols];
        var scales = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = w.Slice(r * cols, cols);
            float max = 0f;
            foreach (float v in row)
                max = MathF.Max(max, MathF.Abs(v));
            float scale = max > 0f ? max / 127f : 1f;
            scales[r] = scale;
            for (int c = 0; c < cols; c++)
                q[r * cols + c] = (sbyte)Math.Clamp(MathF.Round(row[c] / scale), -127f, 127f);
        }
        return (q, scales);
    }

    /// <summary>y[j] += Σ_p x[p]·w[p, j] for bfloat16 w [k, n] (k = x.Length, n = y.Length), row by row of w.</summary>
    public static unsafe void AddRows(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, Span<float> y, int threads = 1, bool wide = true)
    {
        fixed (float* px = x, py = y)
        fixed (ushort* pw = w)
            Run(Kind.BFloat16Rows, px, x.Length, pw, null, py, y.Length, threads, wide);
    }

    /// <summary>y[j] += Σ_p (x[p]·s[p])·q[p, j] for int8 q [k, n] with a scale per row.</summary>
    public static unsafe void AddRows(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, Span<float> y, int threads = 1, bool wide = true)
    {
        fixed (float* px = x, py = y, ps = scales)
        fixed (sbyte* pq = q)
            Run(Kind.Int8Rows, px, x.Length, pq, ps, py, y.Length, threads, wide);
    }

    /// <summary>y[j] += Σ_p x[p]·w[j, p] for bfloat16 w [n, k]: a dot product per output (an affine map with a transposed, tied weight).</summary>
    public static unsafe void AddDots(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, Span<float> y, int threads = 1, bool wide = true)
    {
        fixed (float* px = x, py = y)
        fixed (ushort* pw = w)
            Run(Kind.BFloat16Dots, px, x.Length, pw, null, py, y.Length, threads, wide);
    }

    /// <summary>y[j] += s[j]·Σ_p x[p]·q[j, p] for int8 q [n, k] with a scale per row.</summary>
    public static unsafe void AddDots(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, Span<float> y, int threads = 1, bool wide = true)
    {
        fixed (float* px = x, py = y, ps = scales)
        fixed (sbyte* pq = q)
            Run(Kind.Int8Dots, px, x.Length, pq, ps, py, y.Length, threads, wide);
    }

    private enum Kind
    {
        BFloat16Rows,
        Int8Rows,
        BFloat16Dots,
        Int8Dots,
    }

    /// <summary>Outputs per chunk of work: the GEMM's helper threads take chunks of y, each over all of x.</summary>
    private const int ChunkOutputs = 512;

    /// <summary>
    /// One product, split over y into chunks run on the GEMM's helper threads (whose job describes it: A = x [k], B = the
    /// stored weights, Bias = the scales, C = y [n], Lda = the kind, Ldb = whether wide vectors may be used).
    /// </summary>
    private static unsafe void Run(Kind kind, float* x, int k, void* w, float* scales, float* y, int n, int threads, bool wide)
    {
        int chunks = (n + ChunkOutputs - 1) / ChunkOutputs;
        var product = new GemmProduct(x, (int)kind, false, (float*)w, wide && Vector256.IsHardwareAccelerated ? 1 : 0, false, k, n, 0, y, 0, false, scales);
        var job = new GemmJob(product, false, false, ChunkOutputs, chunks);
        if (threads > 1 && chunks > 1 && GemmWorkers.TryRun(&RunChunk, job, threads))
            return;
        for (int chunk = 0; chunk < chunks; chunk++)
            RunChunk(job, chunk);
    }

    private static unsafe void RunChunk(in GemmJob job, int index)
    {
        var p = job.Product;
        int first = index * job.ChunkSize, count = Math.Min(job.ChunkSize, p.N - first), k = p.M;
        bool wide = p.Ldb != 0;
        var x = new ReadOnlySpan<float>(p.A, k);
        var y = new Span<float>(p.C + first, count);
        switch ((Kind)p.Lda)
        {
            case Kind.BFloat16Rows:
            {
                int r = 0;
                // Four rows per pass over y: a quarter of the loads and stores of y, the same multiply-adds in the same order.
                for (; r <= k - 4 && wide; r += 4)
                    AddScaledRows4(x.Slice(r, 4), (ushort*)p.B + ((long)r * p.N) + first, p.N, y);
                for (; r < k; r++)
                    AddScaledRow(x[r], new ReadOnlySpan<ushort>((ushort*)p.B + ((long)r * p.N) + first, count), y, wide);
                break;
            }
            case Kind.Int8Rows:
                for (int r = 0; r < k; r++)
                    AddScaledRow(x[r] * p.Bias[r], new ReadOnlySpan<sbyte>((sbyte*)p.B + ((long)r * p.N) + first, count), y, wide);
                break;
            case Kind.BFloat16Dots:
            {
                int j = 0;
                // Four outputs at once: four independent chains of multiply-adds hide their latency, and x is loaded once for all.
                for (; j <= count - 4 && wide && k >= 8; j += 4)
                    Dots4(x, (ushort*)p.B + ((long)(first + j) * k), y.Slice(j, 4));
                for (; j < count; j++)
                    y[j] += Dot(x, new ReadOnlySpan<ushort>((ushort*)p.B + ((long)(first + j) * k), k), wide);
                break;
            }
            default:
                for (int j = 0; j < count; j++)
                    y[j] += p.Bias[first + j] * Dot(x, new ReadOnlySpan<sbyte>((sbyte*)p.B + ((long)(first + j) * k), k), wide);
                break;
        }
    }

    /// <summary>y += a[0]·row0 + a[1]·row1 + a[2]·row2 + a[3]·row3 (bfloat16 rows <paramref name="ld"/> apart), each element's multiply-adds in row order.</summary>
    private static unsafe void AddScaledRows4(ReadOnlySpan<float> a, ushort* w, int ld, Span<float> y)
    {
        int j = 0, n = y.Length;
        fixed (float* py = y)
        {
            Vector256<float> a0 = Vector256.Create(a[0]), a1 = Vector256.Create(a[1]), a2 = Vector256.Create(a[2]), a3 = Vector256.Create(a[3]);
            ushort* w1 = w + ld, w2 = w + (2 * ld), w3 = w + (3 * ld);
            for (; j <= n - 8; j += 8)
            {
                var acc = Vector256.Load(py + j);
                acc = Vector256.MultiplyAddEstimate(a0, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w + j).ToVector256Unsafe()), 16).AsSingle(), acc);
                acc = Vector256.MultiplyAddEstimate(a1, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w1 + j).ToVector256Unsafe()), 16).AsSingle(), acc);
                acc = Vector256.MultiplyAddEstimate(a2, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w2 + j).ToVector256Unsafe()), 16).AsSingle(), acc);
                acc = Vector256.MultiplyAddEstimate(a3, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w3 + j).ToVector256Unsafe()), 16).AsSingle(), acc);
                acc.Store(py + j);
            }
        }
        for (int r = 0; r < 4; r++)
        {
            // The tail, row by row: the same order as above for each element.
            var row = new ReadOnlySpan<ushort>(w + (r * ld) + j, n - j);
            AddScaledRow(a[r], row, y[j..], wide: false);
        }
    }

    private static void AddScaledRow(float a, ReadOnlySpan<ushort> row, Span<float> y, bool wide)
    {
        int j = 0, n = y.Length;
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref ushort wr = ref MemoryMarshal.GetReference(row);
        if (wide)
        {
            var va = Vector256.Create(a);
            for (; j <= n - 8; j += 8)
            {
                var w = Vector256.ShiftLeft(Vector256.WidenLower(Vector128.LoadUnsafe(ref wr, (nuint)j).ToVector256Unsafe()), 16).AsSingle();
                Vector256.MultiplyAddEstimate(va, w, Vector256.LoadUnsafe(ref yr, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
            }
        }
        var va4 = Vector128.Create(a);
        for (; j <= n - 4; j += 4)
        {
            var w = Vector128.ShiftLeft(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref wr, j)))).AsUInt16()), 16).AsSingle();
            Vector128.MultiplyAddEstimate(va4, w, Vector128.LoadUnsafe(ref yr, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
        }
        for (; j < n; j++)
            y[j] = MathF.FusedMultiplyAdd(a, FromBFloat16(row[j]), y[j]);
    }

    private static void AddScaledRow(float a, ReadOnlySpan<sbyte> row, Span<float> y, bool wide)
    {
        int j = 0, n = y.Length;
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref sbyte qr = ref MemoryMarshal.GetReference(row);
        if (wide)
        {
            var va = Vector256.Create(a);
            for (; j <= n - 8; j += 8)
            {
                var q = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref qr, j)))).AsSByte();
                var w = Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.WidenLower(q).ToVector256Unsafe()));
                Vector256.MultiplyAddEstimate(va, w, Vector256.LoadUnsafe(ref yr, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
            }
        }
        var va4 = Vector128.Create(a);
        for (; j <= n - 4; j += 4)
        {
            var q = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref qr, j)))).AsSByte();
            var w = Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(q)));
            Vector128.MultiplyAddEstimate(va4, w, Vector128.LoadUnsafe(ref yr, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
        }
        for (; j < n; j++)
            y[j] = MathF.FusedMultiplyAdd(a, row[j], y[j]);
    }

    /// <summary>y[i] += x·row_i for four bfloat16 rows of x.Length values one after another, each as <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{ushort}, bool)"/> computes it.</summary>
    private static unsafe void Dots4(ReadOnlySpan<float> x, ushort* w, Span<float> y)
    {
        int k = x.Length;
        fixed (float* px = x)
        {
            ushort* w1 = w + k, w2 = w + (2 * k), w3 = w + (3 * k);
            Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
            {
                var xv = Vector256.Load(px + p);
                acc0 = Vector256.MultiplyAddEstimate(xv, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w + p).ToVector256Unsafe()), 16).AsSingle(), acc0);
                acc1 = Vector256.MultiplyAddEstimate(xv, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w1 + p).ToVector256Unsafe()), 16).AsSingle(), acc1);
                acc2 = Vector256.MultiplyAddEstimate(xv, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w2 + p).ToVector256Unsafe()), 16).AsSingle(), acc2);
                acc3 = Vector256.MultiplyAddEstimate(xv, Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(w3 + p).ToVector256Unsafe()), 16).AsSingle(), acc3);
            }
            y[0] += Finish(acc0, x, new ReadOnlySpan<ushort>(w, k), p);
            y[1] += Finish(acc1, x, new ReadOnlySpan<ushort>(w1, k), p);
            y[2] += Finish(acc2, x, new ReadOnlySpan<ushort>(w2, k), p);
            y[3] += Finish(acc3, x, new ReadOnlySpan<ushort>(w3, k), p);
        }
    }

    /// <summary>The rest of <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{ushort}, bool)"/> from index p on, after its wide loop left <paramref name="acc"/>.</summary>
    private static float Finish(Vector256<float> acc, ReadOnlySpan<float> x, ReadOnlySpan<ushort> row, int p)
    {
        int k = x.Length;
        var acc4 = acc.GetLower() + acc.GetUpper();
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref ushort wr = ref MemoryMarshal.GetReference(row);
        for (; p <= k - 4; p += 4)
        {
            var w = Vector128.ShiftLeft(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref wr, p)))).AsUInt16()), 16).AsSingle();
            acc4 = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref xr, (nuint)p), w, acc4);
        }
        float sum = Vector128.Sum(acc4);
        for (; p < k; p++)
            sum = MathF.FusedMultiplyAdd(x[p], FromBFloat16(row[p]), sum);
        return sum;
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<ushort> row, bool wide)
    {
        int p = 0, k = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref ushort wr = ref MemoryMarshal.GetReference(row);
        var acc = Vector256<float>.Zero;
        if (wide && k >= 8)
        {
            for (; p <= k - 8; p += 8)
            {
                var w = Vector256.ShiftLeft(Vector256.WidenLower(Vector128.LoadUnsafe(ref wr, (nuint)p).ToVector256Unsafe()), 16).AsSingle();
                acc = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref xr, (nuint)p), w, acc);
            }
        }
        return Finish(acc, x, row, p);
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> row, bool wide)
    {
        int p = 0, k = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref sbyte qr = ref MemoryMarshal.GetReference(row);
        var acc4 = Vector128<float>.Zero;
        if (wide && k >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; p <= k - 8; p += 8)
            {
                var q = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref qr, p)))).AsSByte();
                var w = Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.WidenLower(q).ToVector256Unsafe()));
                acc = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref xr, (nuint)p), w, acc);
            }
            acc4 = acc.GetLower() + acc.GetUpper();
        }
        for (; p <= k - 4; p += 4)
        {
            var q = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref qr, p)))).AsSByte();
            var w = Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(q)));
            acc4 = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref xr, (nuint)p), w, acc4);
        }
        float sum = Vector128.Sum(acc4);
        for (; p < k; p++)
            sum = MathF.FusedMultiplyAdd(x[p], row[p], sum);
        return sum;
    }
}
