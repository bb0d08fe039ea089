using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeGRUTests
{
    private const int N = 2, T = 3, D = 4, H = 5;
    private static readonly SequenceShape Shape = new(N, T);

    private static (ParameterSet Set, TimeGRU Layer) Create(Random random, bool stateful, bool returnSequences = true, int d = D, int h = H)
    {
        var set = new ParameterSet();
        var layer = new TimeGRU(set.Add("Wx", d, 3 * h), set.Add("Wh", h, 3 * h), set.Add("b", 1, 3 * h), set.Add("b_hn", 1, h), stateful, returnSequences);
        TestData.Uniform(random, set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        return (set, layer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_FromZeroState_MatchesFiniteDifferences(bool returnSequences)
    {
        var random = new Random(1);
        var (_, layer) = Create(random, stateful: false, returnSequences);
        GradientAssert.Layer(layer, TestData.Uniform(random, N * T * D), Shape);
    }

    [Fact]
    public void Backward_SecondStatefulCall_MatchesFiniteDifferencesIncludingTheStateGradient()
    {
        var random = new Random(2);
        var (_, layer) = Create(random, stateful: true);
        layer.Forward(TestData.Uniform(random, N * T * D), Shape);
        var h0 = layer.State!.H;
        var xs = TestData.Uniform(random, N * T * D);
        GradientAssert.Layer(layer, xs, Shape);

        var dout = TestData.Uniform(random, N * T * H);
        double Loss()
        {
            layer.State = new RecurrentState(h0);
            return TestData.Dot(layer.Forward(xs, Shape).Span, dout);
        }
        Loss();
        layer.Backward(dout);
        GradientAssert.Matches("h0", Loss, h0, layer.StateGradient.H);
    }

    [Theory]
    [InlineData(D, H)]
    [InlineData(7, 64)] // 3H = 192 columns
    public void Forward_MatchesPyTorchsFormulasStepByStep(int d, int h)
    {
        // In double, from the formulas of torch.nn.GRU with b_ih + b_hh summed for r and z: b = [b_r, b_z, b_in].
        var random = new Random(4);
        var (set, layer) = Create(random, stateful: true, d: d, h: h);
        var xs = TestData.Uniform(random, N * T * d);
        var h0 = TestData.Uniform(random, N * h);
        layer.State = new RecurrentState(h0);
        var hs = layer.Forward(xs, Shape).ToArray();

        var wx = set["Wx"].Value.ToArray();
        var wh = set["Wh"].Value.ToArray();
        var b = set["b"].Value.ToArray();
        var bhn = set["b_hn"].Value.ToArray();
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int n = 0; n < N; n++)
        {
            var hPrev = h0.Skip(n * h).Take(h).Select(v => (double)v).ToArray();
            for (int t = 0; t < T; t++)
            {
                var x = xs.AsSpan((n * T + t) * d, d).ToArray();
                double X(int gate, int j)
                {
                    double sum = 0;
                    for (int k = 0; k < d; k++)
                        sum += x[k] * wx[k * 3 * h + gate * h + j];
                    return sum;
                }
                double Hh(int gate, int j)
                {
                    double sum = 0;
                    for (int k = 0; k < h; k++)
                        sum += hPrev[k] * wh[k * 3 * h + gate * h + j];
                    return sum;
                }
                var next = new double[h];
                for (int j = 0; j < h; j++)
                {
                    double r = Sigmoid(X(0, j) + b[j] + Hh(0, j));
                    double z = Sigmoid(X(1, j) + b[h + j] + Hh(1, j));
                    double c = Math.Tanh(X(2, j) + b[2 * h + j] + r * (Hh(2, j) + bhn[j]));
                    next[j] = (1 - z) * c + z * hPrev[j];
                    Assert.Equal(next[j], hs[(n * T + t) * h + j], 1e-5);
                }
                hPrev = next;
            }
        }
    }

    [Fact]
    public void Create_AddsTheFourParametersNamedForTheLayer()
    {
        var set = new ParameterSet();
        var layer = TimeGRU.Create(set, "gru", 3, 4, new RandomSource(1));
        Assert.Equal(["gru.Wx", "gru.Wh", "gru.b", "gru.b_hn"], layer.Parameters.Select(p => p.Name));
        Assert.Equal((3, 12), (layer.Wx.Rows, layer.Wx.Cols));
        Assert.Throws<ArgumentException>(() => layer.State = new RecurrentState(new float[4], new float[4]));
    }
}
