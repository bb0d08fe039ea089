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
    public static void AddRows(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, Span<float> y, bool wide = true)
    {
        int n = y.Length;
        for (int p = 0; p < x.Length; p++)
            AddScaledRow(x[p], w.Slice(p * n, n), y, wide && Vector256.IsHardwareAccelerated);
    }

    /// <summary>y[j] += Σ_p (x[p]·s[p])·q[p, j] for int8 q [k, n] with a scale per row.</summary>
    public static void AddRows(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, Span<float> y, bool wide = true)
    {
        int n = y.Length;
        for (int p = 0; p < x.Length; p++)
            AddScaledRow(x[p] * scales[p], q.Slice(p * n, n), y, wide && Vector256.IsHardwareAccelerated);
    }

    /// <summary>y[j] += Σ_p x[p]·w[j, p] for bfloat16 w [n, k]: a dot product per output (an affine map with a transposed, tied weight).</summary>
    public static void AddDots(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, Span<float> y, bool wide = true)
    {
        int k = x.Length;
        for (int j = 0; j < y.Length; j++)
            y[j] += Dot(x, w.Slice(j * k, k), wide && Vector256.IsHardwareAccelerated);
    }

    /// <summary>y[j] += s[j]·Σ_p x[p]·q[j, p] for int8 q [n, k] with a scale per row.</summary>
    public static void AddDots(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, Span<float> y, bool wide = true)
    {
        int k = x.Length;
        for (int j = 0; j < y.Length; j++)
            y[j] += scales[j] * Dot(x, q.Slice(j * k, k), wide && Vector256.IsHardwareAccelerated);
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

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<ushort> row, bool wide)
    {
        int p = 0, k = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref ushort wr = ref MemoryMarshal.GetReference(row);
        var acc4 = Vector128<float>.Zero;
        if (wide && k >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; p <= k - 8; p += 8)
            {
                var w = Vector256.ShiftLeft(Vector256.WidenLower(Vector128.LoadUnsafe(ref wr, (nuint)p).ToVector256Unsafe()), 16).AsSingle();
                acc = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref xr, (nuint)p), w, acc);
            }
            acc4 = acc.GetLower() + acc.GetUpper();
        }
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
