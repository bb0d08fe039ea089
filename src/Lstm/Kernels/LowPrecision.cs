using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lstm.Kernels;

/// <summary>
/// Weights stored in bfloat16 (the top half of a float) or int8 with one scale per row, and the matrix–vector product
/// of generation over them, y[j] += Σ_p x[p]·w[j, p]: half or a quarter of the bytes per token, so a model that streams
/// its weights from memory at fp32 can keep them in the last-level cache. Every output is a dot product over one
/// contiguous row (a matrix used as x·W is stored transposed), computed by one thread in one fixed order: the stored
/// values widened to float exactly, multiply-added in float.
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

    /// <summary>y[j] += Σ_p x[p]·w[j, p] for bfloat16 w [n, k] (k = x.Length, n = y.Length).</summary>
    public static unsafe void AddDots(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, Span<float> y, int threads = 1, bool wide = true)
    {
        fixed (float* px = x, py = y)
        fixed (ushort* pw = w)
            Run(false, px, x.Length, pw, null, py, y.Length, threads, wide);
    }

    /// <summary>y[j] += s[j]·Σ_p x[p]·q[j, p] for int8 q [n, k] with a scale per row.</summary>
    public static unsafe void AddDots(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, Span<float> y, int threads = 1, bool wide = true)
    {
        fixed (float* px = x, py = y, ps = scales)
        fixed (sbyte* pq = q)
            Run(true, px, x.Length, pq, ps, py, y.Length, threads, wide);
    }

    /// <summary>Outputs per chunk of work: the GEMM's helper threads take chunks of y, each over all of x.</summary>
    private const int ChunkOutputs = 256;

    /// <summary>
    /// One product, split over y into chunks run on the GEMM's helper threads (whose job describes it: A = x [k], B = the
    /// stored weights, Bias = the int8 scales (null for bfloat16), C = y [n], Ldb = whether wide vectors may be used).
    /// </summary>
    private static unsafe void Run(bool int8, float* x, int k, void* w, float* scales, float* y, int n, int threads, bool wide)
    {
        int chunks = (n + ChunkOutputs - 1) / ChunkOutputs;
        var product = new GemmProduct(x, int8 ? 1 : 0, false, (float*)w, wide && Vector256.IsHardwareAccelerated ? 1 : 0, false, k, n, 0, y, 0, false, scales);
        var job = new GemmJob(product, false, false, ChunkOutputs, chunks);
        if (threads > 1 && chunks > 1 && GemmWorkers.TryRun(&RunChunk, job, threads))
            return;
        for (int chunk = 0; chunk < chunks; chunk++)
            RunChunk(job, chunk);
    }

    private static unsafe void RunChunk(in GemmJob job, int index)
    {
        var p = job.Product;
        int first = index * job.ChunkSize, count = Math.Min(job.ChunkSize, p.N - first);
        if (p.Lda != 0)
            Dots<sbyte, Int8>(p.A, p.M, (sbyte*)p.B + ((long)first * p.M), p.Bias + first, p.C + first, count, p.Ldb != 0);
        else
            Dots<ushort, BFloat16>(p.A, p.M, (ushort*)p.B + ((long)first * p.M), null, p.C + first, count, p.Ldb != 0);
    }

    /// <summary>How a stored type widens to float: 8 or 4 values to a vector, or one.</summary>
    private unsafe interface IStored<T>
        where T : unmanaged
    {
        static abstract Vector256<float> Load8(T* p);

        static abstract Vector128<float> Load4(T* p);

        static abstract float Load1(T* p);
    }

    private readonly unsafe struct BFloat16 : IStored<ushort>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load8(ushort* p) => Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe()), 16).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load4(ushort* p) => Vector128.ShiftLeft(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)p).AsUInt16()), 16).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Load1(ushort* p) => FromBFloat16(*p);
    }

    private readonly unsafe struct Int8 : IStored<sbyte>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load8(sbyte* p) =>
            Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(long*)p).AsSByte()).ToVector256Unsafe()));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load4(sbyte* p) => Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(int*)p).AsSByte())));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Load1(sbyte* p) => *p;
    }

    /// <summary>
    /// y[j] += s[j]·(x·row_j) for <paramref name="count"/> rows of k stored values one after another (s = 1 without
    /// scales). Four rows at a time: four independent chains of multiply-adds hide their latency and x is loaded once;
    /// each row's sum is the same whether it is one of four or alone.
    /// </summary>
    private static unsafe void Dots<T, TWiden>(float* x, int k, T* w, float* scales, float* y, int count, bool wide)
        where T : unmanaged
        where TWiden : IStored<T>
    {
        int j = 0;
        if (wide && k >= 8)
        {
            for (; j <= count - 4; j += 4)
            {
                T* w0 = w + ((long)j * k), w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
                Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                int p = 0;
                for (; p <= k - 8; p += 8)
                {
                    var xv = Vector256.Load(x + p);
                    acc0 = Vector256.MultiplyAddEstimate(xv, TWiden.Load8(w0 + p), acc0);
                    acc1 = Vector256.MultiplyAddEstimate(xv, TWiden.Load8(w1 + p), acc1);
                    acc2 = Vector256.MultiplyAddEstimate(xv, TWiden.Load8(w2 + p), acc2);
                    acc3 = Vector256.MultiplyAddEstimate(xv, TWiden.Load8(w3 + p), acc3);
                }
                y[j] += Scale(scales, j) * Finish<T, TWiden>(acc0, x, k, w0, p);
                y[j + 1] += Scale(scales, j + 1) * Finish<T, TWiden>(acc1, x, k, w1, p);
                y[j + 2] += Scale(scales, j + 2) * Finish<T, TWiden>(acc2, x, k, w2, p);
                y[j + 3] += Scale(scales, j + 3) * Finish<T, TWiden>(acc3, x, k, w3, p);
            }
        }
        for (; j < count; j++)
        {
            T* row = w + ((long)j * k);
            var acc = Vector256<float>.Zero;
            int p = 0;
            for (; wide && p <= k - 8; p += 8)
                acc = Vector256.MultiplyAddEstimate(Vector256.Load(x + p), TWiden.Load8(row + p), acc);
            y[j] += Scale(scales, j) * Finish<T, TWiden>(acc, x, k, row, p);
        }
    }

    private static unsafe float Scale(float* scales, int j) => scales is null ? 1f : scales[j];

    /// <summary>The rest of one row's dot product from index p on, after the wide loop left <paramref name="acc"/>.</summary>
    private static unsafe float Finish<T, TWiden>(Vector256<float> acc, float* x, int k, T* row, int p)
        where T : unmanaged
        where TWiden : IStored<T>
    {
        var acc4 = acc.GetLower() + acc.GetUpper();
        for (; p <= k - 4; p += 4)
            acc4 = Vector128.MultiplyAddEstimate(Vector128.Load(x + p), TWiden.Load4(row + p), acc4);
        float sum = Vector128.Sum(acc4);
        for (; p < k; p++)
            sum = MathF.FusedMultiplyAdd(x[p], TWiden.Load1(row + p), sum);
        return sum;
    }
}
