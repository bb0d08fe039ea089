using Lstm.Kernels;

namespace Lstm.Tests.Kernels;

public class ElementwiseTests
{
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        for (int n = 0; n <= 67; n++)
            data.Add(n);
        return data;
    }

    private static void Near(double expected, float actual, double relative = 2e-6) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Abs(expected)), $"expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Reductions_MatchScalarReference(int n)
    {
        var random = new Random(n + 100);
        var x = TestData.Uniform(random, n);
        double squares = x.Sum(v => (double)v * v);
        Near(squares, Elementwise.SumOfSquares(x));

        var scaled = x.Select(v => 1.7 * v).ToArray();
        Elementwise.Scale(x, 1.7f);
        for (int i = 0; i < n; i++)
            Near(scaled[i], x[i]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(257)]
    [InlineData(4095)]
    [InlineData(4097)]
    [InlineData(12289)]
    public void IndexOfNonFinite_FindsTheFirstNaNOrInfinity_AndIgnoresAnOverflowingSum(int n)
    {
        var x = TestData.Uniform(new Random(n), n);
        Assert.Equal(-1, Elementwise.IndexOfNonFinite(x));
        Array.Fill(x, float.MaxValue); // finite values whose sum overflows
        Assert.Equal(-1, Elementwise.IndexOfNonFinite(x));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            foreach (int at in new[] { 0, n / 2, n - 1 }.Distinct())
            {
                var y = TestData.Uniform(new Random(at), n);
                y[at] = bad;
                if (at + 1 < n)
                    y[n - 1] = float.NaN; // a later one is not the first
                Assert.Equal(at, Elementwise.IndexOfNonFinite(y));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AddColumnSums_MatchesScalarReference(int cols)
    {
        const int rows = 3;
        var random = new Random(cols + 200);
        var x = TestData.Uniform(random, rows * cols, 50f);
        var sums = TestData.Uniform(random, cols);
        var expected = sums.Select((s, j) => s + Enumerable.Range(0, rows).Sum(r => (double)x[r * cols + j])).ToArray();
        Elementwise.AddColumnSums(x, rows, cols, sums);
        for (int j = 0; j < cols; j++)
            Near(expected[j], sums[j], 1e-5);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ExpShiftedSum_MatchesScalarReference(int n)
    {
        var x = TestData.Uniform(new Random(n + 300), n, 80f);
        var y = new float[n];
        float shift = n == 0 ? 0f : x.Max();
        float sum = Elementwise.ExpShiftedSum(x, shift, y);
        double expectedSum = 0;
        for (int i = 0; i < n; i++)
        {
            double e = x[i] - shift < -60f ? 0 : Math.Exp(x[i] - shift); // the kernel rounds x − shift to float too
            expectedSum += e;
            Assert.True(Math.Abs(e - y[i]) <= 4e-7 * e, $"e^{x[i] - shift} = {e}, got {y[i]}");
        }
        Near(expectedSum, sum, 1e-6);
    }

    [Fact]
    public void ExpShiftedSum_AcrossTheFloatRange_StaysWithinTwoUlpAndFlushesBelowEMinus60()
    {
        var x = Enumerable.Range(0, 20001).Select(i => -87f + i * (175f / 20000)).ToArray();
        var y = new float[x.Length];
        Elementwise.ExpShiftedSum(x, 0f, y);
        for (int i = 0; i < x.Length; i++)
        {
            double e = x[i] < -60f ? 0 : Math.Exp(x[i]);
            Assert.True(Math.Abs(e - y[i]) <= 2.5e-7 * e, $"e^{x[i]} = {e}, got {y[i]}");
        }
    }

    [Fact]
    public void AddColumnSums_WrongLength_NamesTheArgument()
    {
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Elementwise.AddColumnSums(new float[5], 2, 3, new float[3])).ParamName);
        Assert.Equal("sums", Assert.Throws<ArgumentException>(() => Elementwise.AddColumnSums(new float[6], 2, 3, new float[2])).ParamName);
    }
}
