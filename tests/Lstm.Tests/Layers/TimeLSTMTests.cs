using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeLSTMTests
{
    private const int N = 2, T = 3, D = 4, H = 5;

    private static (ParameterSet Set, TimeLSTM Layer) Create(Random random, bool stateful)
    {
        var set = new ParameterSet();
        var layer = new TimeLSTM(set.Add("Wx", D, 4 * H), set.Add("Wh", H, 4 * H), set.Add("b", 1, 4 * H), stateful);
        TestData.Uniform(random, set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        return (set, layer);
    }

    [Fact]
    public void Backward_FromZeroState_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var (set, layer) = Create(random, stateful: false);
        var xs = TestData.Uniform(random, N * T * D);
        var dout = TestData.Uniform(random, N * T * H);
        double Loss() => GradientCheck.Dot(layer.Forward(xs, N, T).Span, dout);

        set.ZeroGrad();
        layer.Forward(xs, N, T);
        var dxs = layer.Backward(dout).ToArray();

        foreach (var p in set.Parameters)
            GradientCheck.AssertMatches(p.Name, Loss, p.Value, p.Grad.ToArray());
        GradientCheck.AssertMatches("xs", Loss, xs, dxs);
    }

    [Fact]
    public void Backward_SecondStatefulCall_MatchesFiniteDifferencesIncludingDh()
    {
        // The first call leaves a non-zero h and c; the second starts from them. Truncated BPTT: the gradient of
        // the second call treats that state as an input, whose h-gradient is Dh.
        var random = new Random(2);
        var (set, layer) = Create(random, stateful: true);
        layer.Forward(TestData.Uniform(random, N * T * D), N, T);
        var h0 = layer.HiddenState.ToArray();
        var c0 = layer.CellState.ToArray();
        Assert.Contains(h0, v => Math.Abs(v) > 1e-3);
        Assert.Contains(c0, v => Math.Abs(v) > 1e-3);

        var xs = TestData.Uniform(random, N * T * D);
        var dout = TestData.Uniform(random, N * T * H);
        double Loss()
        {
            layer.SetState(h0, c0);
            return GradientCheck.Dot(layer.Forward(xs, N, T).Span, dout);
        }

        set.ZeroGrad();
        layer.SetState(h0, c0);
        layer.Forward(xs, N, T);
        var dxs = layer.Backward(dout).ToArray();
        var dh = layer.Dh.ToArray();

        foreach (var p in set.Parameters)
            GradientCheck.AssertMatches(p.Name, Loss, p.Value, p.Grad.ToArray());
        GradientCheck.AssertMatches("xs", Loss, xs, dxs);
        GradientCheck.AssertMatches("h0", Loss, h0, dh);
    }

    [Fact]
    public void Forward_Stateful_CarriesStateUntilReset()
    {
        var random = new Random(3);
        var (_, layer) = Create(random, stateful: true);
        var xs = TestData.Uniform(random, N * T * D);
        var first = layer.Forward(xs, N, T).ToArray();
        var second = layer.Forward(xs, N, T).ToArray();
        layer.ResetState();
        var third = layer.Forward(xs, N, T).ToArray();
        Assert.False(first.AsSpan().SequenceEqual(second), "the carried state must change the second call");
        Assert.True(first.AsSpan().SequenceEqual(third), "after ResetState the layer starts from zeros again");
    }

    [Fact]
    public void Forward_OneStep_MatchesTheBookFormulas()
    {
        // One step, one row, computed by hand from the spec: A = x·Wx + h·Wh + b; f,g,i,o slices; c, h.
        var random = new Random(4);
        var (set, layer) = Create(random, stateful: true);
        var x = TestData.Uniform(random, D);
        var h0 = TestData.Uniform(random, H);
        var c0 = TestData.Uniform(random, H);
        layer.SetState(h0, c0);
        var h = layer.Forward(x, 1, 1).ToArray();
        var c = layer.CellState.ToArray();

        var wx = set["Wx"].Value.ToArray();
        var wh = set["Wh"].Value.ToArray();
        var b = set["b"].Value.ToArray();
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int j = 0; j < H; j++)
        {
            double A(int gate)
            {
                int col = gate * H + j;
                double sum = b[col];
                for (int d = 0; d < D; d++)
                    sum += x[d] * wx[d * 4 * H + col];
                for (int k = 0; k < H; k++)
                    sum += h0[k] * wh[k * 4 * H + col];
                return sum;
            }
            double f = Sigmoid(A(0)), g = Math.Tanh(A(1)), i = Sigmoid(A(2)), o = Sigmoid(A(3));
            double cExpected = f * c0[j] + g * i;
            Assert.Equal(cExpected, c[j], 1e-5);
            Assert.Equal(o * Math.Tanh(cExpected), h[j], 1e-5);
        }
    }

    [Fact]
    public void Forward_BadShapes_NameTheArgument()
    {
        var (_, layer) = Create(new Random(5), stateful: true);
        Assert.Equal("xs", Assert.Throws<ArgumentException>(() => layer.Forward(new float[7], N, T)).ParamName);
        layer.Forward(new float[N * T * D], N, T);
        Assert.Equal("batchSize", Assert.Throws<ArgumentException>(() => layer.Forward(new float[3 * T * D], 3, T)).ParamName);
        Assert.Equal("dhs", Assert.Throws<ArgumentException>(() => layer.Backward(new float[5])).ParamName);
        var set = new ParameterSet();
        Assert.Throws<ArgumentException>(() => new TimeLSTM(set.Add("Wx", D, 4 * H), set.Add("Wh", H, 3 * H), set.Add("b", 1, 4 * H), true));
    }
}
