using System.Runtime.CompilerServices;

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
                // Rows read side by side, the panel written in order: sequential stores merge, strided ones do not.
                float* src = g.A + (nint)(i0 + q) * g.Lda + p0;
                nint lda = g.Lda;
                for (int p = 0; p < kc; p++, src++)
                {
                    float* d = dst + (nint)p * mr;
                    for (int r = 0; r < h; r++)
                        d[r] = src[r * lda];
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
        for (int q = 0; q < cols; q += nr, dst += (nint)kc * nr)
        {
            int w = Math.Min(nr, cols - q);
            if (g.TransB)
            {
                for (int j = 0; j < w; j++)
                {
                    float* src = g.B + (nint)(j0 + q + j) * g.Ldb + p0;
                    for (int p = 0; p < kc; p++)
                        dst[(nint)p * nr + j] = src[p];
                }

                for (int p = 0; p < kc && w < nr; p++)
                    new Span<float>(dst + (nint)p * nr + w, nr - w).Clear();
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    var d = new Span<float>(dst + (nint)p * nr, nr);
                    new ReadOnlySpan<float>(g.B + (nint)(p0 + p) * g.Ldb + j0 + q, w).CopyTo(d);
                    d[w..].Clear();
                }
            }
        }
    }
}
