using Lstm.Kernels;

namespace Lstm.Tests.Kernels;

public sealed class LowPrecisionTests
{
    public static TheoryData<int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int k in new[] { 1, 3, 7, 15, 17, 33, 257 })
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
    public void DotProducts_MatchADoubleReference_OfTheStoredValues(int k, int n, bool wide)
    {
        int threads = n > 256 ? 2 : 1; // 257 and 1,025 outputs: several chunks, over the helper threads
        var random = new Random((k * 1000) + n);
        var x = TestData.Uniform(random, k);
        var y0 = TestData.Uniform(random, n);
        var w = TestData.Uniform(random, n * k); // [n, k]
        var b = LowPrecision.ToBFloat16(w);
        var (q, scales) = LowPrecision.ToInt8(w, n, k);

        double Dot(Func<int, int, double> stored, int j) => Enumerable.Range(0, k).Sum(p => x[p] * stored(j, p));
        Check(y => LowPrecision.AddDots(x, b, y, threads, wide), j => Dot((r, c) => LowPrecision.FromBFloat16(b[r * k + c]), j));
        Check(y => LowPrecision.AddDots(x, q, scales, y, threads, wide), j => Dot((r, c) => (double)scales[r] * q[r * k + c], j));

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
