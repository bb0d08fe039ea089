using Lstm.Kernels;

namespace Lstm.Tests.Kernels;

public class RecurrentCellsTests
{
    public static TheoryData<int> OddSizes => [1, 3, 7, 15, 16, 17, 31, 33, 65, 257];

    [Theory]
    [MemberData(nameof(OddSizes))]
    public void LstmForward_MatchesScalarReference(int H)
    {
        var random = new Random(H);
        var a = TestData.Uniform(random, 4 * H, 3f);
        var cPrev = TestData.Uniform(random, H);
        var gates = (float[])a.Clone();
        float[] c = new float[H], tanhC = new float[H], h = new float[H];
        RecurrentCells.LstmForward(gates, cPrev, c, tanhC, h);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int j = 0; j < H; j++)
        {
            double f = Sigmoid(a[j]), g = Math.Tanh(a[H + j]), i = Sigmoid(a[2 * H + j]), o = Sigmoid(a[3 * H + j]);
            double cj = f * cPrev[j] + g * i;
            Assert.Equal(f, gates[j], 2e-6);
            Assert.Equal(g, gates[H + j], 2e-6);
            Assert.Equal(i, gates[2 * H + j], 2e-6);
            Assert.Equal(o, gates[3 * H + j], 2e-6);
            Assert.Equal(cj, c[j], 2e-6);
            Assert.Equal(Math.Tanh(cj), tanhC[j], 2e-6);
            Assert.Equal(o * Math.Tanh(cj), h[j], 2e-6);
        }
    }

    [Theory]
    [MemberData(nameof(OddSizes))]
    public void LstmBackward_MatchesScalarReference(int H)
    {
        var random = new Random(H + 1000);
        var gates = TestData.Uniform(random, 4 * H);
        var cPrev = TestData.Uniform(random, H);
        var tanhC = TestData.Uniform(random, H);
        var dh = TestData.Uniform(random, H);
        var dcNext = TestData.Uniform(random, H);
        var dc = (float[])dcNext.Clone();
        var dA = new float[4 * H];
        RecurrentCells.LstmBackward(gates, cPrev, tanhC, dh, dc, dA);
        for (int j = 0; j < H; j++)
        {
            double f = gates[j], g = gates[H + j], i = gates[2 * H + j], o = gates[3 * H + j], tc = tanhC[j];
            double ds = dcNext[j] + dh[j] * o * (1 - tc * tc);
            Assert.Equal(ds * f, dc[j], 1e-5);
            Assert.Equal(ds * cPrev[j] * f * (1 - f), dA[j], 1e-5);
            Assert.Equal(ds * i * (1 - g * g), dA[H + j], 1e-5);
            Assert.Equal(ds * g * i * (1 - i), dA[2 * H + j], 1e-5);
            Assert.Equal(dh[j] * tc * o * (1 - o), dA[3 * H + j], 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(OddSizes))]
    public void GruForward_MatchesScalarReference(int H)
    {
        var random = new Random(H + 3000);
        var a = TestData.Uniform(random, 3 * H, 3f);
        var ah = TestData.Uniform(random, 3 * H, 3f);
        var hPrev = TestData.Uniform(random, H);
        var gates = (float[])a.Clone();
        var h = new float[H];
        RecurrentCells.GruForward(gates, ah, hPrev, h);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int j = 0; j < H; j++)
        {
            double r = Sigmoid((double)a[j] + ah[j]), z = Sigmoid((double)a[H + j] + ah[H + j]);
            double n = Math.Tanh(a[2 * H + j] + r * ah[2 * H + j]);
            Assert.Equal(r, gates[j], 2e-6);
            Assert.Equal(z, gates[H + j], 2e-6);
            Assert.Equal(n, gates[2 * H + j], 2e-6);
            Assert.Equal((1 - z) * n + z * hPrev[j], h[j], 2e-6);
        }
    }

    [Theory]
    [MemberData(nameof(OddSizes))]
    public void GruBackward_MatchesScalarReference(int H)
    {
        var random = new Random(H + 4000);
        var gates = TestData.Uniform(random, 3 * H);
        var ah = TestData.Uniform(random, 3 * H, 2f);
        var hPrev = TestData.Uniform(random, H);
        var dh = TestData.Uniform(random, H);
        float[] dA = new float[3 * H], dAh = new float[3 * H], dhPrev = new float[H];
        RecurrentCells.GruBackward(gates, ah, hPrev, dh, dA, dAh, dhPrev);
        for (int j = 0; j < H; j++)
        {
            double r = gates[j], z = gates[H + j], n = gates[2 * H + j];
            double dn = dh[j] * (1 - z) * (1 - n * n);
            double dr = dn * ah[2 * H + j] * r * (1 - r);
            double dz = dh[j] * (hPrev[j] - n) * z * (1 - z);
            Assert.Equal(dr, dA[j], 1e-5);
            Assert.Equal(dz, dA[H + j], 1e-5);
            Assert.Equal(dn, dA[2 * H + j], 1e-5);
            Assert.Equal(dr, dAh[j], 1e-5);
            Assert.Equal(dz, dAh[H + j], 1e-5);
            Assert.Equal(dn * r, dAh[2 * H + j], 1e-5);
            Assert.Equal(dh[j] * z, dhPrev[j], 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(OddSizes))]
    public void Rnn_MatchesScalarReference(int H)
    {
        var random = new Random(H + 2000);
        var a = TestData.Uniform(random, H, 3f);
        var h = (float[])a.Clone();
        RecurrentCells.RnnForward(h);
        var dh = TestData.Uniform(random, H);
        var dA = new float[H];
        RecurrentCells.RnnBackward(h, dh, dA);
        for (int j = 0; j < H; j++)
        {
            Assert.Equal(Math.Tanh(a[j]), h[j], 2e-6);
            Assert.Equal(dh[j] * (1 - (double)h[j] * h[j]), dA[j], 2e-6);
        }
    }
}
