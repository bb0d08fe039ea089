using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lstm.Kernels;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>op(X) = X.</summary>
    No,

    /// <summary>op(X) = Xᵀ.</summary>
    Yes,
}

/// <summary>Which micro-kernel a GEMM runs. Every path gives the same product up to rounding.</summary>
public enum GemmPath
{
    /// <summary>The widest path the hardware accelerates.</summary>
    Auto,

    /// <summary>9×48 register tile on <see cref="Vector512{T}"/> (AVX-512).</summary>
    Vector512,

    /// <summary>6×16 register tile on <see cref="Vector256{T}"/> (AVX2).</summary>
    Vector256,

    /// <summary>4×8 register tile on <see cref="Vector128{T}"/>, which every platform provides (in software where not accelerated).</summary>
    Portable,
}

/// <summary>Per-call settings of <see cref="Gemm"/>; <c>default</c> means "use <see cref="Gemm.Threads"/> and the best path".</summary>
/// <param name="Threads">Threads that may work on this product; 0 means <see cref="Gemm.Threads"/>.</param>
/// <param name="Path">The micro-kernel to run; <see cref="GemmPath.Auto"/> picks the widest accelerated one.</param>
public readonly record struct GemmOptions(int Threads = 0, GemmPath Path = GemmPath.Auto);

/// <summary>
/// Single-precision matrix product <c>C (+)= op(A)·op(B)</c> over row-major spans with leading dimensions,
/// so a block of a larger buffer is a valid operand without copying.
/// </summary>
/// <remarks>
/// <para>op(A) is m×k, op(B) is k×n, C is m×n. Row i of a stored matrix X starts at <c>i·ldx</c>.</para>
/// <para>Packed and cache-blocked in the Goto/BLIS scheme (KC×NC panels of B, MC×KC blocks of A) with a
/// register-tiled multiply-add micro-kernel (fused where the hardware fuses: FMA on x64, AdvSimd on ARM64; a multiply and
/// an add on x64 without AVX, such as NativeAOT's default target, where an emulated fused one would be 100× slower). For small m, non-transposed B is read in place: packing it would cost
/// as much as the product (unless its rows are a multiple of 4 KB apart, which defeats the caches).</para>
/// <para>Results are bitwise identical for any thread count: each element of C is one fixed chain of
/// multiply-adds over k, whichever thread computes it.</para>
/// <para>C must not overlap A or B. No managed memory is allocated per call once a thread's packing
/// buffers exist.</para>
/// </remarks>
public static unsafe class Gemm
{
    private static int s_threads = Environment.ProcessorCount;

    /// <summary>Threads a product may use when its <see cref="GemmOptions.Threads"/> is 0. Default: the processor count.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int Threads
    {
        get => s_threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_threads = value;
        }
    }

    /// <summary>The path <see cref="GemmPath.Auto"/> resolves to on this machine.</summary>
    /// <remarks>
    /// On Intel cores that lower their clock under 512-bit code, .NET reports <see cref="Vector512.IsHardwareAccelerated"/>
    /// as false to steer general code to 256 bits, yet still compiles <see cref="Vector512{T}"/> to AVX-512. A GEMM keeps
    /// the FMA units busy either way and runs about 1.8× faster on 512 bits there, so the check is on the instruction set.
    /// </remarks>
    public static GemmPath BestPath { get; } =
        Vector512.IsHardwareAccelerated || Avx512F.IsSupported ? GemmPath.Vector512 :
        Vector256.IsHardwareAccelerated ? GemmPath.Vector256 :
        GemmPath.Portable;

    /// <summary>Whether the hardware runs <paramref name="path"/> natively (<see cref="GemmPath.Auto"/> and <see cref="GemmPath.Portable"/> always).</summary>
    public static bool IsAccelerated(GemmPath path) => path switch
    {
        GemmPath.Vector512 => Vector512.IsHardwareAccelerated || Avx512F.IsSupported,
        GemmPath.Vector256 => Vector256.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>Lets a forced path run emulated where the hardware lacks it: the tests check every kernel on every machine.</summary>
    internal static bool AllowEmulatedPaths { get; set; }

    /// <summary><c>C = op(A)·op(B)</c>: C[i,j] = Σ_p op(A)[i,p]·op(B)[p,j].</summary>
    /// <param name="a">A, stored m×k (or k×m when <paramref name="opA"/> is <see cref="Transpose.Yes"/>).</param>
    /// <param name="lda">Distance between rows of stored A.</param>
    /// <param name="opA">Whether A is transposed.</param>
    /// <param name="b">B, stored k×n (or n×k when <paramref name="opB"/> is <see cref="Transpose.Yes"/>).</param>
    /// <param name="ldb">Distance between rows of stored B.</param>
    /// <param name="opB">Whether B is transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="c">C, m×n, overwritten.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="options">Thread count and micro-kernel path.</param>
    /// <exception cref="ArgumentException">A span is too short, a leading dimension is smaller than its row, C overlaps A or B, or the path asked for is not accelerated here (<see cref="IsAccelerated"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    public static void MatMul(ReadOnlySpan<float> a, int lda, Transpose opA, ReadOnlySpan<float> b, int ldb, Transpose opB,
        int m, int n, int k, Span<float> c, int ldc, GemmOptions options = default)
        => Run(a, lda, opA, b, ldb, opB, m, n, k, c, ldc, accumulate: false, options);

    /// <summary>
    /// <c>C = op(A)·op(B) + 1·biasᵀ</c>: C[i,j] = bias[j] + Σ_p op(A)[i,p]·op(B)[p,j] (an affine map of every row of op(A)).
    /// The bias is added to each tile of C as it is first written, saving a separate pass over C.
    /// </summary>
    /// <param name="a">A, stored m×k (or k×m when <paramref name="opA"/> is <see cref="Transpose.Yes"/>).</param>
    /// <param name="lda">Distance between rows of stored A.</param>
    /// <param name="opA">Whether A is transposed.</param>
    /// <param name="b">B, stored k×n (or n×k when <paramref name="opB"/> is <see cref="Transpose.Yes"/>).</param>
    /// <param name="ldb">Distance between rows of stored B.</param>
    /// <param name="opB">Whether B is transposed.</param>
    /// <param name="bias">The row added to every row of C; n values.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="c">C, m×n, overwritten.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="options">Thread count and micro-kernel path.</param>
    /// <inheritdoc cref="MatMul" path="/exception"/>
    public static void MatMulBias(ReadOnlySpan<float> a, int lda, Transpose opA, ReadOnlySpan<float> b, int ldb, Transpose opB,
        ReadOnlySpan<float> bias, int m, int n, int k, Span<float> c, int ldc, GemmOptions options = default)
    {
        if (bias.Length != n)
            throw new ArgumentException($"bias has {bias.Length} values; expected n = {n}.", nameof(bias));
        if (c.Overlaps(bias))
            throw new ArgumentException("c must not overlap bias.", nameof(c));
        fixed (float* pBias = bias)
            Run(a, lda, opA, b, ldb, opB, m, n, k, c, ldc, accumulate: false, options, pBias);
    }

    /// <summary><c>C += op(A)·op(B)</c>: C[i,j] += Σ_p op(A)[i,p]·op(B)[p,j].</summary>
    /// <inheritdoc cref="MatMul" path="/param"/>
    /// <inheritdoc cref="MatMul" path="/exception"/>
    public static void MatMulAdd(ReadOnlySpan<float> a, int lda, Transpose opA, ReadOnlySpan<float> b, int ldb, Transpose opB,
        int m, int n, int k, Span<float> c, int ldc, GemmOptions options = default)
        => Run(a, lda, opA, b, ldb, opB, m, n, k, c, ldc, accumulate: true, options);

    private static void Run(ReadOnlySpan<float> a, int lda, Transpose opA, ReadOnlySpan<float> b, int ldb, Transpose opB,
        int m, int n, int k, Span<float> c, int ldc, bool accumulate, GemmOptions options, float* bias = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (options.Threads < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "options.Threads must be 0 (default) or positive.");
        CheckOperand(a.Length, lda, opA == Transpose.No ? m : k, opA == Transpose.No ? k : m, nameof(a), nameof(lda));
        CheckOperand(b.Length, ldb, opB == Transpose.No ? k : n, opB == Transpose.No ? n : k, nameof(b), nameof(ldb));
        CheckOperand(c.Length, ldc, m, n, nameof(c), nameof(ldc));
        if (m == 0 || n == 0)
            return;
        if (c.Overlaps(a) && k > 0)
            throw new ArgumentException("c must not overlap a.", nameof(c));
        if (c.Overlaps(b) && k > 0)
            throw new ArgumentException("c must not overlap b.", nameof(c));
        if (k == 0)
        {
            for (int i = 0; i < m && !accumulate; i++)
            {
                if (bias == null)
                    c.Slice(i * ldc, n).Clear();
                else
                    new ReadOnlySpan<float>(bias, n).CopyTo(c.Slice(i * ldc, n));
            }
            return;
        }

        var path = options.Path == GemmPath.Auto ? BestPath : options.Path;
        if (!IsAccelerated(path) && !AllowEmulatedPaths)
            throw new ArgumentException($"GemmPath.{path} is not accelerated on this machine (it would run emulated, about 100 times slower); use GemmPath.Auto or {BestPath}.", nameof(options));
        int threads = options.Threads == 0 ? s_threads : options.Threads;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var product = new GemmProduct(pa, lda, opA == Transpose.Yes, pb, ldb, opB == Transpose.Yes, m, n, k, pc, ldc, accumulate, bias);
            switch (path)
            {
                case GemmPath.Vector512: GemmDriver<MicroKernel9x48>.Run(product, threads); break;
                case GemmPath.Vector256: GemmDriver<MicroKernel6x16>.Run(product, threads); break;
                case GemmPath.Portable: GemmDriver<MicroKernel4x8>.Run(product, threads); break;
                default: throw new ArgumentOutOfRangeException(nameof(options), path, "Unknown GEMM path.");
            }
        }
    }

    private static void CheckOperand(int length, int ld, int rows, int cols, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{ldName} is {ld}, but {name} has rows of {cols} elements: {ldName} must be at least {Math.Max(1, cols)}.", ldName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} has {length} elements, but a {rows}×{cols} matrix with leading dimension {ld} needs {needed}.", name);
    }
}

/// <summary>The operands of one product, as raw pointers valid for the duration of the call.</summary>
internal readonly unsafe struct GemmProduct(float* a, int lda, bool transA, float* b, int ldb, bool transB,
    int m, int n, int k, float* c, int ldc, bool accumulate, float* bias)
{
    public readonly float* A = a, B = b, C = c, Bias = bias;
    public readonly int Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k;
    public readonly bool TransA = transA, TransB = transB, Accumulate = accumulate;
}
