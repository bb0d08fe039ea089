using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lstm.Kernels;

/// <summary>Copies blocks of op(A) and op(B) into the contiguous, zero-padded panels the micro-kernels read.</summary>
internal static unsafe class GemmPacking
{

    /// <summary>
    /// Packs op(A)[i0..i0+rows, p0..p0+kc] into panels of <paramref name="mr"/> rows: panel q holds, for each p,
    /// the mr values op(A)[i0+q·mr+r, p0+p] (zero past the last row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(in GemmProduct g, int i0, int rows, int p0, int kc, int mr, float* dst)
    {
        for (int q = 0; q < rows; q += mr, dst += (nint)kc * mr)
        {
            int h = Math.Min(mr, rows - q);
            if (g.TransA)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = g.A + (nint)(p0 + p) * g.Lda + i0 + q;
                    float* d = dst + (nint)p * mr;
                    for (int r = 0; r < h; r++)
                        d[r] = src[r];
                }
            }
            else
            {
                // 8×8 blocks transposed in registers, the rest element by element. A panel narrower than 8 rows is
                // one block of fewer rows: each k then writes 8 floats, running over (with zeros) into the next k's
                // slots, which are written after it (PackedASlack floats past the last panel).
                float* src = g.A + (nint)(i0 + q) * g.Lda + p0;
                nint lda = g.Lda;
                int r0 = 0, k8 = Avx.IsSupported ? kc / 8 * 8 : 0;
                for (; r0 < h && (r0 + 8 <= mr || r0 == 0) && k8 > 0; r0 += 8)
                {
                    for (int p = 0; p < k8; p += 8)
                        Transpose8x8(src + r0 * lda + p, lda, Math.Min(8, h - r0), dst + (nint)p * mr + r0, mr);
                }

                for (int p = 0; p < kc; p++)
                {
                    float* d = dst + (nint)p * mr;
                    for (int r = p < k8 ? r0 : 0; r < h; r++)
                        d[r] = src[r * lda + p];
                }
            }

            for (int r = h; r < mr; r++)
            {
                for (int p = 0; p < kc; p++)
                    dst[(nint)p * mr + r] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0..p0+kc, j0..j0+cols] into panels of <paramref name="nr"/> columns: panel q holds, for each p,
    /// the nr values op(B)[p0+p, j0+q·nr+j] (zero past the last column).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(in GemmProduct g, int p0, int kc, int j0, int cols, int nr, float* dst)
    {
        if (!g.TransB)
        {
            // Row by row, so B streams in order (panel by panel, rows ldb apart would miss cache on every one).
            for (int p = 0; p < kc; p++)
            {
                float* src = g.B + (nint)(p0 + p) * g.Ldb + j0;
                for (int q = 0; q < cols; q += nr)
                {
                    int w = Math.Min(nr, cols - q);
                    var d = new Span<float>(dst + (nint)q * kc + (nint)p * nr, nr);
                    new ReadOnlySpan<float>(src + q, w).CopyTo(d);
                    d[w..].Clear();
                }
            }
            return;
        }

        // Column j of op(B) is row j of B: 8×8 blocks are transposed in registers, so each store is a run.
        for (int q = 0; q < cols; q += nr, dst += (nint)kc * nr)
        {
            int w = Math.Min(nr, cols - q);
            int j = 0, k8 = Avx.IsSupported ? kc / 8 * 8 : 0;
            for (; j + 8 <= w && k8 > 0; j += 8)
            {
                float* src = g.B + (nint)(j0 + q + j) * g.Ldb + p0;
                for (int p = 0; p < k8; p += 8)
                    Transpose8x8(src + p, g.Ldb, 8, dst + (nint)p * nr + j, nr);
                for (int r = 0; r < 8; r++)
                {
                    for (int p = k8; p < kc; p++)
                        dst[(nint)p * nr + j + r] = src[(nint)r * g.Ldb + p];
                }
            }

            for (; j < w; j++)
            {
                float* src = g.B + (nint)(j0 + q + j) * g.Ldb + p0;
                for (int p = 0; p < kc; p++)
                    dst[(nint)p * nr + j] = src[p];
            }

            for (int p = 0; p < kc && w < nr; p++)
                new Span<float>(dst + (nint)p * nr + w, nr - w).Clear();
        }
    }

    /// <summary>Floats a packed A buffer needs past its last panel: a panel narrower than 8 rows writes up to 8 floats per k.</summary>
    public const int PackedASlack = 8;

    /// <summary>
    /// dst[c·ldd + r] = src[r·lds + c] for c &lt; 8 and r &lt; 8, in AVX registers (the caller checks Avx.IsSupported);
    /// rows from <paramref name="rows"/> on are not read and are stored as zeros. Each column is one 8-float store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint lds, int rows, float* dst, nint ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = rows > 1 ? Avx.LoadVector256(src + lds) : default;
        var r2 = rows > 2 ? Avx.LoadVector256(src + 2 * lds) : default;
        var r3 = rows > 3 ? Avx.LoadVector256(src + 3 * lds) : default;
        var r4 = rows > 4 ? Avx.LoadVector256(src + 4 * lds) : default;
        var r5 = rows > 5 ? Avx.LoadVector256(src + 5 * lds) : default;
        var r6 = rows > 6 ? Avx.LoadVector256(src + 6 * lds) : default;
        var r7 = rows > 7 ? Avx.LoadVector256(src + 7 * lds) : default;

        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
