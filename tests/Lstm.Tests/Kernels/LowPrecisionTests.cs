using Lstm.Kernels;

namespace Lstm.Tests.Kernels;

public sealed class LowPrecisionTests
{
    public static TheoryData<int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int k in new[] { 1, 3, 7, 15, 17, 33 })
        {
            foreach (int n in new[] { 1, 3, 7, 15, 17, 31, 33, 65, 257, 1025 })
            {
                data.Add(k, n, true);
                data.Add(k, n, false);
            }
        }
        return data;
    }

    [Fact]
    public void ToBFloat16_RoundsToNearestEven_AndKeepsSpecialValues()
    {
        Assert.Equal(1f, LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(1f)));
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1); just above goes up.
        Assert.Equal(1f, LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(1f + MathF.Pow(2, -8))));
        Assert.Equal(1f + MathF.Pow(2, -7), LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20))));
        Assert.Equal(1f + MathF.Pow(2, -6), LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(1f + (3 * MathF.Pow(2, -8)))));
        Assert.True(float.IsNaN(LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(float.NaN))));
        Assert.Equal(float.NegativeInfinity, LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(float.NegativeInfinity)));
        Assert.Equal(-0.15625f, LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(-0.15625f)));
        var random = new Random(1);
        foreach (float x in TestData.Uniform(random, 1000, 100f))
            Assert.True(Math.Abs(LowPrecision.FromBFloat16(LowPrecision.ToBFloat16(x)) - x) <= Math.Abs(x) * MathF.Pow(2, -8));
    }

    [Fact]
    public void ToInt8_ScalesEachRowToItsLargestValue()
    {
        float[] w = [0.5f, -1f, 0.25f, 0f, 0f, 0f, 2f, 4f, -8f];
        var (q, scales) = LowPrecision.ToInt8(w, 3, 3);
        Assert.Equal([1f / 127, 1f, 8f / 127], scales);
        Assert.Equal(new sbyte[] { 64, -127, 32, 0, 0, 0, 32, 64, -127 }, q);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Products_MatchADoubleReference_OfTheStoredValues(int k, int n, bool wide)
    {
        int threads = n > 512 ? 2 : 1; // 1,025 outputs: three chunks, over the helper threads
        var random = new Random((k * 1000) + n);
        var x = TestData.Uniform(random, k);
        var y0 = TestData.Uniform(random, n);
        var wRows = TestData.Uniform(random, k * n); // [k, n]
        var wDots = TestData.Uniform(random, n * k); // [n, k]

        var bRows = LowPrecision.ToBFloat16(wRows);
        var bDots = LowPrecision.ToBFloat16(wDots);
        var (qRows, sRows) = LowPrecision.ToInt8(wRows, k, n);
        var (qDots, sDots) = LowPrecision.ToInt8(wDots, n, k);

        double Row(Func<int, int, double> w, int j) => Enumerable.Range(0, k).Sum(p => x[p] * w(p, j));
        Check(y => LowPrecision.AddRows(x, bRows, y, threads, wide), j => Row((p, c) => LowPrecision.FromBFloat16(bRows[p * n + c]), j));
        Check(y => LowPrecision.AddRows(x, qRows, sRows, y, threads, wide), j => Row((p, c) => (double)sRows[p] * qRows[p * n + c], j));
        Check(y => LowPrecision.AddDots(x, bDots, y, threads, wide), j => Row((p, c) => LowPrecision.FromBFloat16(bDots[c * k + p]), j));
        Check(y => LowPrecision.AddDots(x, qDots, sDots, y, threads, wide), j => Row((p, c) => (double)sDots[c] * qDots[c * k + p], j));

        void Check(Action<float[]> product, Func<int, double> expected)
        {
            var y = (float[])y0.Clone();
            product(y);
            for (int j = 0; j < n; j++)
            {
                double e = y0[j] + expected(j);
                Assert.True(Math.Abs(y[j] - e) <= 1e-5 * (1 + k), $"k={k} n={n} wide={wide} threads={threads}: y[{j}] = {y[j]}, expected {e}");
            }
        }
    }
}
