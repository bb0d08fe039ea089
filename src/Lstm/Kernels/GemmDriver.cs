using System.Runtime.CompilerServices;

namespace Lstm.Kernels;

/// <summary>
/// The blocked loops around a micro-kernel (Goto/BLIS): for each NC-wide panel of B and KC-deep slice of k,
/// pack B (unless it is read in place), then for each MC-tall block of A pack it and sweep the register tiles.
/// </summary>
internal static unsafe class GemmDriver<TKernel> where TKernel : struct, IMicroKernel
{
    // KC×NR micro-panels of B stream from L2 while an MC×KC block of A (216 KB) stays in the 1 MB L2.
    private const int KC = 384, MC = 144, NC = 4080;

    // Below this many rows B is read in place: packing it would cost as much as the product itself.
    private const int PackBMinRows = 64;

    // Products smaller than this run on the calling thread: a hand-off costs more than it saves.
    private const double ParallelMinFlops = 1e6, ChunkMinFlops = 5e5;

    public static void Run(in GemmProduct g, int threads)
    {
        bool packB = g.TransB || g.M >= PackBMinRows;
        var job = Partition(g, packB, threads);
        if (job.ChunkCount > 1 && GemmWorkers.TryRun(&RunChunk, job, threads))
            return;
        for (int i = 0; i < job.ChunkCount; i++)
            RunChunk(job, i);
    }

    /// <summary>
    /// Splits C into chunks of whole register tiles along its longer packed dimension. The split only decides
    /// who computes an element, never how, so the result does not depend on it.
    /// </summary>
    private static GemmJob Partition(in GemmProduct g, bool packB, int threads)
    {
        double flops = 2.0 * g.M * g.N * g.K;
        if (threads <= 1 || flops < ParallelMinFlops)
            return new GemmJob(g, packB, splitRows: false, chunkSize: g.N, chunkCount: 1);

        bool splitRows = packB && g.M > g.N;
        int extent = splitRows ? g.M : g.N, granule = splitRows ? TKernel.MR : TKernel.NR;
        // Each extra chunk of a packed product packs its share of the other operand again: keep them large.
        int chunks = Math.Clamp(extent / (packB ? 1024 : 192), threads, 4 * threads);
        chunks = Math.Min(chunks, (int)(flops / ChunkMinFlops));
        chunks = Math.Clamp(chunks, 1, (extent + granule - 1) / granule);
        int size = ((extent + chunks - 1) / chunks + granule - 1) / granule * granule;
        return new GemmJob(g, packB, splitRows, size, (extent + size - 1) / size);
    }

    private static void RunChunk(in GemmJob job, int index)
    {
        ref readonly var g = ref job.Product;
        int start = index * job.ChunkSize;
        int end = Math.Min(start + job.ChunkSize, job.SplitRows ? g.M : g.N);
        var scratch = GemmScratch.Current;
        if (job.SplitRows)
            Blocked(g, job.PackB, start, end, 0, g.N, scratch);
        else
            Blocked(g, job.PackB, 0, g.M, start, end, scratch);
    }

    private static void Blocked(in GemmProduct g, bool packB, int i0, int i1, int j0, int j1, GemmScratch scratch)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        float* tile = scratch.Tile(mr * nr);
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nb = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < g.K; pc += KC)
            {
                int kb = Math.Min(KC, g.K - pc);
                bool add = g.Accumulate || pc > 0;
                float* packedB = null;
                if (packB)
                {
                    packedB = scratch.PackedB(kb * RoundUp(nb, nr));
                    GemmPacking.PackB(g, pc, kb, jc, nb, nr, packedB);
                }

                for (int ic = i0; ic < i1; ic += MC)
                {
                    int mb = Math.Min(MC, i1 - ic);
                    float* packedA = scratch.PackedA(kb * RoundUp(mb, mr));
                    GemmPacking.PackA(g, ic, mb, pc, kb, mr, packedA);
                    for (int jr = 0; jr < nb; jr += nr)
                    {
                        int cols = Math.Min(nr, nb - jr);
                        float* b;
                        nint ldb = nr;
                        if (packB)
                        {
                            b = packedB + (nint)jr * kb;
                        }
                        else if (cols == nr)
                        {
                            b = g.B + (nint)pc * g.Ldb + jc + jr;
                            ldb = g.Ldb;
                        }
                        else
                        {
                            // The last, narrower panel: zero-padded to NR so the same kernel reads it.
                            b = scratch.Edge(kb * nr);
                            GemmPacking.PackB(g, pc, kb, jc + jr, cols, nr, b);
                        }

                        for (int ir = 0; ir < mb; ir += mr)
                        {
                            int rows = Math.Min(mr, mb - ir);
                            float* a = packedA + (nint)ir * kb;
                            float* c = g.C + (nint)(ic + ir) * g.Ldc + jc + jr;
                            if (rows == mr && cols == nr)
                            {
                                TKernel.Run(kb, a, b, ldb, c, g.Ldc, add);
                            }
                            else
                            {
                                TKernel.Run(kb, a, b, ldb, tile, nr, add: false);
                                MergeTile(tile, nr, rows, cols, c, g.Ldc, add);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>C = tile, or C = C + tile, over the valid rows×cols of an edge tile (the same sum the full tile stores).</summary>
    private static void MergeTile(float* tile, int nr, int rows, int cols, float* c, nint ldc, bool add)
    {
        for (int r = 0; r < rows; r++, tile += nr, c += ldc)
        {
            for (int j = 0; j < cols; j++)
                c[j] = add ? c[j] + tile[j] : tile[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}

/// <summary>A product and its split into chunks of C, each computed whole by one thread.</summary>
internal readonly struct GemmJob(GemmProduct product, bool packB, bool splitRows, int chunkSize, int chunkCount)
{
    public readonly GemmProduct Product = product;
    public readonly bool PackB = packB, SplitRows = splitRows;
    public readonly int ChunkSize = chunkSize, ChunkCount = chunkCount;
}
