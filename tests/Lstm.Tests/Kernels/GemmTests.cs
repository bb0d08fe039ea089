using Lstm.Kernels;

namespace Lstm.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] Sizes = [1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 129, 257];

    private static readonly GemmPath[] Paths = [GemmPath.Vector512, GemmPath.Vector256, GemmPath.Portable];

    /// <summary>A sampled grid over the odd sizes (every size appears in every position), with every path.</summary>
    public static TheoryData<int, int, int, GemmPath> OddShapes()
    {
        var data = new TheoryData<int, int, int, GemmPath>();
        var random = new Random(7);
        for (int s = 0; s < 30; s++)
        {
            int m = Sizes[s % Sizes.Length], n = Sizes[random.Next(Sizes.Length)], k = Sizes[random.Next(Sizes.Length)];
            if (s % 3 == 1)
                (m, n) = (n, m);
            if (s % 3 == 2)
                (m, k) = (k, m);
            data.Add(m, n, k, Paths[s % Paths.Length]);
        }
        return data;
    }

    /// <summary>The products of the book's models and the LSTM layer benchmarks.</summary>
    public static TheoryData<int, int, int> WorkloadShapes() => new()
    {
        { 20, 400, 100 },    // W1 LSTM step
        { 20, 2600, 650 },   // W2 LSTM step
        { 32, 2048, 512 },   // W3-512 LSTM step
        { 700, 10000, 100 }, // W1 affine forward
        { 100, 10000, 700 }, // W1 affine dW
        { 700, 100, 10000 }, // W1 affine dx
        { 700, 2600, 650 },  // W2 x-projection
    };

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void MatMul_OddShapes_MatchesDoubleReference(int m, int n, int k, GemmPath path)
    {
        var random = new Random(m * 1000003 + n * 1009 + k);
        foreach (var opA in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var opB in new[] { Transpose.No, Transpose.Yes })
            {
                foreach (bool accumulate in new[] { false, true })
                    CheckProduct(random, m, n, k, opA, opB, accumulate, pad: 3, new GemmOptions(1, path), samples: int.MaxValue);
            }
        }
    }

    [Theory]
    [MemberData(nameof(WorkloadShapes))]
    public void MatMul_WorkloadShapes_MatchesDoubleReference(int m, int n, int k)
    {
        var random = new Random(m + n + k);
        foreach (var opA in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var opB in new[] { Transpose.No, Transpose.Yes })
                CheckProduct(random, m, n, k, opA, opB, accumulate: opA == opB, pad: 0, default, samples: 600);
        }
    }

    [Theory]
    [InlineData(GemmPath.Vector512)]
    [InlineData(GemmPath.Vector256)]
    [InlineData(GemmPath.Portable)]
    public void MatMul_EveryPath_LargeShapesMatchDoubleReference(GemmPath path)
    {
        // Several KC and MC blocks, a partial NR panel, and both the packed and the in-place B.
        var random = new Random((int)path);
        CheckProduct(random, 300, 1000, 800, Transpose.No, Transpose.No, accumulate: true, pad: 5, new GemmOptions(2, path), samples: 2000);
        CheckProduct(random, 40, 1000, 800, Transpose.Yes, Transpose.No, accumulate: false, pad: 5, new GemmOptions(2, path), samples: 2000);
        CheckProduct(random, 40, 1000, 800, Transpose.No, Transpose.Yes, accumulate: false, pad: 5, new GemmOptions(2, path), samples: 2000);
    }

    [Theory]
    [InlineData(20, 2600, 650, false, false)] // small m: B read in place, split over columns
    [InlineData(32, 2048, 512, false, false)] // small m, rows of B 8 KB apart: packed, split over columns
    [InlineData(300, 1000, 800, false, false)] // packed B, split over columns
    [InlineData(1000, 200, 700, true, false)] // packed B, split over rows
    [InlineData(33, 777, 257, false, true)]   // transposed B
    [InlineData(700, 100, 2000, false, true)] // W1 affine dx form
    public void MatMul_AnyThreadCount_BitwiseIdentical(int m, int n, int k, bool transA, bool transB)
    {
        var random = new Random(11);
        var a = TestData.Uniform(random, m * k);
        var b = TestData.Uniform(random, k * n);
        var c0 = TestData.Uniform(random, m * n);
        var opA = transA ? Transpose.Yes : Transpose.No;
        var opB = transB ? Transpose.Yes : Transpose.No;
        int lda = transA ? m : k, ldb = transB ? k : n;
        foreach (var path in Paths)
        {
            float[]? expected = null;
            foreach (int threads in new[] { 1, 2, 3, 8 })
            {
                var c = (float[])c0.Clone();
                Gemm.MatMulAdd(a, lda, opA, b, ldb, opB, m, n, k, c, n, new GemmOptions(threads, path));
                expected ??= c;
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{path}: result at {threads} threads differs from 1 thread");
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 17, 33)]
    [InlineData(65, 129, 31)]
    [InlineData(20, 400, 100)]
    [InlineData(300, 1000, 800)]
    [InlineData(5, 3, 0)]
    public void MatMulBias_EveryPath_IsProductPlusBiasAndThreadIndependent(int m, int n, int k)
    {
        var random = new Random(m + 7 * n + 31 * k);
        var a = TestData.Uniform(random, m * k);
        var b = TestData.Uniform(random, k * n);
        var bias = TestData.Uniform(random, n, 5f);
        foreach (var path in Paths)
        {
            var c = new float[m * n];
            Gemm.MatMulBias(a, Math.Max(k, 1), Transpose.No, b, n, Transpose.No, bias, m, n, k, c, n, new GemmOptions(1, path));
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = bias[j], magnitude = Math.Abs(sum);
                    for (int p = 0; p < k; p++)
                    {
                        sum += (double)a[i * k + p] * b[p * n + j];
                        magnitude += Math.Abs((double)a[i * k + p] * b[p * n + j]);
                    }
                    Assert.True(Math.Abs(c[i * n + j] - sum) <= 8 * Math.Sqrt(k + 1) * Math.Pow(2, -24) * magnitude, $"{path} C[{i},{j}] = {c[i * n + j]}, expected {sum}");
                }
            }

            var c2 = new float[m * n];
            Gemm.MatMulBias(a, Math.Max(k, 1), Transpose.No, b, n, Transpose.No, bias, m, n, k, c2, n, new GemmOptions(3, path));
            Assert.True(c.AsSpan().SequenceEqual(c2), $"{path}: 3 threads differ from 1");
        }
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Gemm.MatMulBias(a, Math.Max(k, 1), Transpose.No, b, n, Transpose.No, new float[n + 1], m, n, k, new float[m * n], n)).ParamName);
    }

    [Fact]
    public void MatMul_ZeroK_ClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4, 5 };
        Gemm.MatMulAdd([], 1, Transpose.No, [], 2, Transpose.No, 2, 2, 0, c, 3);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5 }, c);
        Gemm.MatMul([], 1, Transpose.No, [], 2, Transpose.No, 2, 2, 0, c, 3);
        Assert.Equal(new float[] { 0, 0, 3, 0, 0 }, c);
    }

    [Fact]
    public void MatMul_BadArguments_NameTheArgument()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a.AsSpan(1), 3, Transpose.No, b, 2, Transpose.No, 2, 2, 3, c, 2)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 3, Transpose.No, b.AsSpan(1), 2, Transpose.No, 2, 2, 3, c, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 3, Transpose.No, b, 2, Transpose.No, 2, 2, 3, c.AsSpan(1), 2)).ParamName);
        Assert.Equal("lda", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 2, Transpose.No, b, 2, Transpose.No, 2, 2, 3, c, 2)).ParamName);
        Assert.Equal("ldb", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 3, Transpose.No, b, 2, Transpose.Yes, 2, 2, 3, c, 2)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 3, Transpose.No, b, 2, Transpose.No, 2, 2, 3, c, 1)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MatMul(a, 3, Transpose.No, b, 2, Transpose.No, -1, 2, 3, c, 2)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MatMul(a, 3, Transpose.No, b, 2, Transpose.No, 2, 2, -3, c, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 3, Transpose.No, a, 2, Transpose.No, 2, 2, 3, a, 2)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Threads = 0);
    }

    /// <summary>
    /// Runs one product on random operands with leading dimensions <paramref name="pad"/> wider than the rows, and compares
    /// <paramref name="samples"/> elements of C (all when it is larger than C) with a double-precision dot product.
    /// Padding elements of C must stay untouched.
    /// </summary>
    private static void CheckProduct(Random random, int m, int n, int k, Transpose opA, Transpose opB, bool accumulate,
        int pad, GemmOptions options, int samples)
    {
        int aRows = opA == Transpose.No ? m : k, aCols = opA == Transpose.No ? k : m;
        int bRows = opB == Transpose.No ? k : n, bCols = opB == Transpose.No ? n : k;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = TestData.Uniform(random, aRows * lda);
        var b = TestData.Uniform(random, bRows * ldb);
        var c0 = TestData.Uniform(random, m * ldc);
        var c = (float[])c0.Clone();
        if (accumulate)
            Gemm.MatMulAdd(a, lda, opA, b, ldb, opB, m, n, k, c, ldc, options);
        else
            Gemm.MatMul(a, lda, opA, b, ldb, opB, m, n, k, c, ldc, options);

        float A(int i, int p) => opA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
        float B(int p, int j) => opB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
        bool all = samples >= m * n;
        int count = all ? m * n : samples;
        for (int s = 0; s < count; s++)
        {
            int i = all ? s / n : random.Next(m), j = all ? s % n : random.Next(n);
            double sum = accumulate ? c0[i * ldc + j] : 0, magnitude = Math.Abs(sum);
            for (int p = 0; p < k; p++)
            {
                sum += (double)A(i, p) * B(p, j);
                magnitude += Math.Abs((double)A(i, p) * B(p, j));
            }
            // Rounding grows about as √k in a blocked sum; one wrong or missing term is ~magnitude/k, far above this.
            double tolerance = 8 * Math.Sqrt(k + 1) * Math.Pow(2, -24) * magnitude + 1e-30;
            double error = Math.Abs(c[i * ldc + j] - sum);
            Assert.True(error <= tolerance,
                $"{options.Path} m={m} n={n} k={k} {opA}/{opB} acc={accumulate}: C[{i},{j}] = {c[i * ldc + j]}, expected {sum} (error {error:G3} > {tolerance:G3})");
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = n; j < ldc; j++)
                Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
        }
    }
}
