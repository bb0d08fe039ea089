using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeLSTMTests
{
    private const int N = 2, T = 3, D = 4, H = 5;
    private static readonly SequenceShape Shape = new(N, T);

    private static (ParameterSet Set, TimeLSTM Layer) Create(Random random, bool stateful, bool returnSequences = true, int d = D, int h = H)
    {
        var set = new ParameterSet();
        var layer = new TimeLSTM(set.Add("Wx", d, 4 * h), set.Add("Wh", h, 4 * h), set.Add("b", 1, 4 * h), stateful, returnSequences);
        TestData.Uniform(random, set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        return (set, layer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the last step only: a classifier's encoder
    public void Backward_FromZeroState_MatchesFiniteDifferences(bool returnSequences)
    {
        var random = new Random(1);
        var (_, layer) = Create(random, stateful: false, returnSequences);
        GradientAssert.Layer(layer, TestData.Uniform(random, N * T * D), Shape);
    }

    [Fact]
    public void Backward_SecondStatefulCall_MatchesFiniteDifferencesIncludingTheStateGradient()
    {
        // The first call leaves a non-zero h and c; the second starts from them. Truncated BPTT: the gradient of
        // the second call treats that state as an input, whose gradient is StateGradient (dh, dc).
        var random = new Random(2);
        var (_, layer) = Create(random, stateful: true);
        layer.Forward(TestData.Uniform(random, N * T * D), Shape);
        var state = layer.State!;
        Assert.Contains(state.H, v => Math.Abs(v) > 1e-3);
        Assert.Contains(state.C, v => Math.Abs(v) > 1e-3);

        var xs = TestData.Uniform(random, N * T * D);
        GradientAssert.Layer(layer, xs, Shape);

        var (h0, c0) = (state.H.ToArray(), state.C.ToArray());
        var dout = TestData.Uniform(random, N * T * H);
        double Loss()
        {
            layer.State = new RecurrentState(h0, c0);
            return TestData.Dot(layer.Forward(xs, Shape).Span, dout);
        }
        Loss();
        layer.Backward(dout);
        var gradient = layer.StateGradient;
        GradientAssert.Matches("h0", Loss, h0, gradient.H);
        GradientAssert.Matches("c0", Loss, c0, gradient.C);
    }

    [Fact]
    public void Forward_StateSetOnAStatelessLayer_StartsThereOnce()
    {
        // A seq2seq decoder: not stateful, started from the encoder's state.
        var random = new Random(3);
        var (_, layer) = Create(random, stateful: false);
        var xs = TestData.Uniform(random, N * T * D);
        var fromZero = layer.Forward(xs, Shape).ToArray();
        layer.State = new RecurrentState(TestData.Uniform(random, N * H), TestData.Uniform(random, N * H));
        var fromState = layer.Forward(xs, Shape).ToArray();
        Assert.Null(layer.State);
        var again = layer.Forward(xs, Shape).ToArray();
        Assert.False(fromZero.AsSpan().SequenceEqual(fromState));
        Assert.True(fromZero.AsSpan().SequenceEqual(again));
    }

    [Fact]
    public void Forward_Stateful_CarriesStateUntilReset()
    {
        var random = new Random(3);
        var (_, layer) = Create(random, stateful: true);
        var xs = TestData.Uniform(random, N * T * D);
        var first = layer.Forward(xs, Shape).ToArray();
        var second = layer.Forward(xs, Shape).ToArray();
        layer.ResetState();
        var third = layer.Forward(xs, Shape).ToArray();
        Assert.False(first.AsSpan().SequenceEqual(second), "the carried state must change the second call");
        Assert.True(first.AsSpan().SequenceEqual(third), "after ResetState the layer starts from zeros again");
    }

    [Theory]
    [InlineData(D, H)]
    [InlineData(7, 64)] // 4H = 256: the per-step products read a copy of Wh with padded rows
    public void Forward_MatchesTheBookFormulasStepByStep(int d, int h)
    {
        // Computed by hand from the spec, in double: A = x·Wx + h·Wh + b; f, g, i, o slices; c, h; from a set state.
        var random = new Random(4);
        var (set, layer) = Create(random, stateful: true, d: d, h: h);
        var xs = TestData.Uniform(random, N * T * d);
        var h0 = TestData.Uniform(random, N * h);
        var c0 = TestData.Uniform(random, N * h);
        layer.State = new RecurrentState(h0, c0);
        var hs = layer.Forward(xs, Shape).ToArray();
        var cLast = layer.State!.C;

        var wx = set["Wx"].Value.ToArray();
        var wh = set["Wh"].Value.ToArray();
        var b = set["b"].Value.ToArray();
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int n = 0; n < N; n++)
        {
            var hPrev = h0.Skip(n * h).Take(h).Select(v => (double)v).ToArray();
            var cPrev = c0.Skip(n * h).Take(h).Select(v => (double)v).ToArray();
            for (int t = 0; t < T; t++)
            {
                var x = xs.AsSpan((n * T + t) * d, d).ToArray();
                var hNext = new double[h];
                var cNext = new double[h];
                for (int j = 0; j < h; j++)
                {
                    double A(int gate)
                    {
                        int col = gate * h + j;
                        double sum = b[col];
                        for (int k = 0; k < d; k++)
                            sum += x[k] * wx[k * 4 * h + col];
                        for (int k = 0; k < h; k++)
                            sum += hPrev[k] * wh[k * 4 * h + col];
                        return sum;
                    }
                    double f = Sigmoid(A(0)), g = Math.Tanh(A(1)), i = Sigmoid(A(2)), o = Sigmoid(A(3));
                    cNext[j] = f * cPrev[j] + g * i;
                    hNext[j] = o * Math.Tanh(cNext[j]);
                    Assert.Equal(hNext[j], hs[(n * T + t) * h + j], 1e-5);
                }
                (hPrev, cPrev) = (hNext, cNext);
            }
            for (int j = 0; j < h; j++)
                Assert.Equal(cPrev[j], cLast[n * h + j], 1e-5);
        }
    }

    [Fact]
    public void Forward_LastStepOnly_IsTheLastRowOfTheSequence()
    {
        var random = new Random(6);
        var (set, all) = Create(random, stateful: false);
        var last = new TimeLSTM(all.Wx, all.Wh, all.B, stateful: false, returnSequences: false);
        var xs = TestData.Uniform(random, N * T * D);
        var hs = all.Forward(xs, Shape).ToArray();
        var hLast = last.Forward(xs, Shape).ToArray();
        Assert.Equal(new SequenceShape(N, 1), last.OutputShape(Shape));
        for (int n = 0; n < N; n++)
            Assert.True(hs.AsSpan((n * T + T - 1) * H, H).SequenceEqual(hLast.AsSpan(n * H, H)));
    }

    [Fact]
    public void Forward_BadShapes_NameTheArgument()
    {
        var (_, layer) = Create(new Random(5), stateful: true);
        Assert.Equal("xs", Assert.Throws<ArgumentException>(() => layer.Forward(new float[7], Shape)).ParamName);
        layer.Forward(new float[N * T * D], Shape);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => layer.Forward(new float[3 * T * D], new SequenceShape(3, T))).ParamName);
        Assert.Equal("dys", Assert.Throws<ArgumentException>(() => layer.Backward(new float[5])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(new float[0], new SequenceShape(0, T)));
        Assert.Throws<ArgumentException>(() => layer.State = new RecurrentState(new float[H], new float[2 * H]));
        var set = new ParameterSet();
        Assert.Throws<ArgumentException>(() => new TimeLSTM(set.Add("Wx", D, 4 * H), set.Add("Wh", H, 3 * H), set.Add("b", 1, 4 * H), true));
    }
}
