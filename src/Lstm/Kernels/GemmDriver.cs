using System.Runtime.CompilerServices;

namespace Lstm.Kernels;

/// <summary>
/// The blocked loops around a micro-kernel (Goto/BLIS): for each NC-wide panel of B and KC-deep slice of k,
/// pack B (unless it is read in place), then for each MC-tall block of A pack it and sweep the register tiles.
/// </summary>
internal static unsafe class GemmDriver<TKernel> where TKernel : struct, IMicroKernel
{
    // A packed KC×NC block of B (two thirds of L2: 690 KB of a 1 MB L2) stays in L2 while one MR×KC micro-panel of A
    // (18 KB) stays in L1 and sweeps across it; the MC×KC block of A streams from L3. A deeper KC means fewer passes over
    // C when k is long. B read in place (few rows) streams with prefetch and does better with a shallower KC. k is
    // spread evenly over the blocks, so no block is left short. NC follows the machine's L2; KC is fixed, because it
    // decides how each element's sum over k is split, and so the bits of the result.
    private const int PackedKC = 512, InPlaceKC = 384, MC = 2048;
    private static readonly int PackedNC = Columns(0.66, PackedKC), InPlaceNC = Columns(0.71, InPlaceKC);

    /// <summary>Whole register tiles of columns whose KC-deep block of B fills <paramref name="fraction"/> of L2 (336 and 480 for 1 MB).</summary>
    private static int Columns(double fraction, int kc) => Math.Max(1, (int)(fraction * CacheSizes.L2Bytes / (4.0 * kc)) / TKernel.NR) * TKernel.NR;


    // Below this many rows B is read in place: packing it would cost as much as the product itself. Unless its rows
    // are a multiple of 4 KB apart: they then share cache sets, a deep block of B read in place does not stay in L2,
    // and each row tile would fetch it again from memory (32×512·512×2048 at 1 thread: 1.3× faster packed).
    private const int PackBMinRows = 64, AliasedLdb = 1024, AliasedMinK = 128;

    // Products smaller than this run on the calling thread: a hand-off costs more than it saves.
    private const double ParallelMinFlops = 1e6, ChunkMinFlops = 5e5;

    public static void Run(in GemmProduct g, int threads)
    {
        bool packB = g.TransB || g.M >= PackBMinRows || (g.Ldb % AliasedLdb == 0 && g.K >= AliasedMinK);
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

        // Splitting columns packs A once per chunk, splitting rows packs B once per chunk: duplicate the cheaper.
        // A row-major operand read across its rows (non-transposed A, transposed B) packs about 3× slower.
        bool splitRows = packB && (long)g.N * (g.TransB ? 3 : 1) < (long)g.M * (g.TransA ? 1 : 3);
        int extent = splitRows ? g.M : g.N, granule = splitRows ? TileRows(g.M) : TKernel.NR;
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

    /// <summary>k split evenly over the fewest blocks of at most <paramref name="most"/> (650 → 325 + 325, not 512 + 138).</summary>
    private static int Spread(int k, int most)
    {
        int blocks = (k + most - 1) / most;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>
    /// The tile height: rows spread evenly over the fewest tiles of at most MR (20 rows → 7, 7, 6 rather than 9, 9, 2),
    /// so small products waste no FMAs on padding.
    /// </summary>
    private static int TileRows(int m)
    {
        int tiles = (m + TKernel.MR - 1) / TKernel.MR;
        return (m + tiles - 1) / tiles;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked(in GemmProduct g, bool packB, int i0, int i1, int j0, int j1, GemmScratch scratch)
    {
        int mr = TileRows(g.M), nr = TKernel.NR, mc = MC / mr * mr;
        int kc = Spread(g.K, packB ? PackedKC : InPlaceKC), nc = packB ? PackedNC : InPlaceNC;
        float* tile = scratch.Tile(TKernel.MR * nr);
        for (int ic = i0; ic < i1; ic += mc)
        {
            int mb = Math.Min(mc, i1 - ic);
            for (int pc = 0; pc < g.K; pc += kc)
            {
                int kb = Math.Min(kc, g.K - pc);
                bool add = g.Accumulate || pc > 0;
                float* packedA = scratch.PackedA(kb * RoundUp(mb, mr) + GemmPacking.PackedASlack);
                GemmPacking.PackA(g, ic, mb, pc, kb, mr, packedA);
                for (int jc = j0; jc < j1; jc += nc)
                {
                    int nb = Math.Min(nc, j1 - jc);
                    float* packedB = null, edge = null;
                    int edgeStart = nb / nr * nr;
                    if (packB)
                    {
                        packedB = scratch.PackedB(kb * RoundUp(nb, nr));
                        GemmPacking.PackB(g, pc, kb, jc, nb, nr, packedB);
                    }
                    else if (edgeStart < nb && (nb - edgeStart) % TKernel.Lanes != 0)
                    {
                        // The last, narrower panel, unless it is whole vectors: zero-padded so the kernel reads it.
                        edge = scratch.Edge(kb * nr);
                        GemmPacking.PackB(g, pc, kb, jc + edgeStart, nb - edgeStart, nr, edge);
                    }

                    // One A micro-panel stays in L1 while it sweeps the B block in L2 (measured faster here than
                    // sweeping the row tiles per B panel, also for few rows with B read in place).
                    for (int ir = 0; ir < mb; ir += mr)
                    {
                        for (int jr = 0; jr < nb; jr += nr)
                            Tile(g, packedA, packedB, edge, tile, ic, ir, mb, mr, jc, jr, nb, pc, kb, add);
                    }
                }
            }
        }
    }

    /// <summary>One register tile: rows ir.. of the A block times columns jr.. of the B block, into C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(in GemmProduct g, float* packedA, float* packedB, float* edge, float* tile,
        int ic, int ir, int mb, int mr, int jc, int jr, int nb, int pc, int kb, bool add)
    {
        int nr = TKernel.NR;
        int rows = Math.Min(mr, mb - ir), cols = Math.Min(nr, nb - jr);
        float* a = packedA + (nint)ir * kb;
        float* c = g.C + (nint)(ic + ir) * g.Ldc + jc + jr;
        // B: the packed panel, the zero-padded copy of a last panel that is not whole vectors, or B in place.
        bool fromEdge = packedB == null && edge != null && cols < nr;
        float* b = packedB != null ? packedB + (nint)jr * kb : fromEdge ? edge : g.B + (nint)pc * g.Ldb + jc + jr;
        nint ldb = packedB != null || fromEdge ? nr : g.Ldb;
        if (pc == 0 && g.Bias != null)
        {
            // First touch of this C tile: start it at the bias, so the update adds to it.
            for (int r = 0; r < rows; r++)
                new ReadOnlySpan<float>(g.Bias + jc + jr, cols).CopyTo(new Span<float>(c + (nint)r * g.Ldc, cols));
        }

        bool tileAdd = add || g.Bias != null;
        if (cols % TKernel.Lanes == 0)
        {
            TKernel.Run(rows, cols, kb, a, mr, b, ldb, c, g.Ldc, tileAdd);
        }
        else
        {
            // A narrow last panel runs on as few vectors as cover it, into a scratch tile.
            TKernel.Run(rows, cols, kb, a, mr, b, ldb, tile, nr, add: false);
            MergeTile(tile, nr, rows, cols, c, g.Ldc, tileAdd);
        }
    }

    /// <summary>C = tile, or C = C + tile, over the valid rows×cols of an edge tile (the same sum the full tile stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
