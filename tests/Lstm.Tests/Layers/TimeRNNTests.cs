using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeRNNTests
{
    private const int N = 2, T = 3, D = 4, H = 5;
    private static readonly SequenceShape Shape = new(N, T);

    private static TimeRNN Create(Random random, bool stateful, bool returnSequences = true)
    {
        var set = new ParameterSet();
        var layer = new TimeRNN(set.Add("Wx", D, H), set.Add("Wh", H, H), set.Add("b", 1, H), stateful, returnSequences);
        TestData.Uniform(random, set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        return layer;
    }

    [Fact]
    public void Backward_SecondStatefulCall_MatchesFiniteDifferencesIncludingTheStateGradient()
    {
        var random = new Random(1);
        var layer = Create(random, stateful: true);
        layer.Forward(TestData.Uniform(random, N * T * D), Shape);
        var h0 = layer.State!.H;
        Assert.Empty(layer.State!.C);
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

    [Fact]
    public void Backward_LastStepOnly_MatchesFiniteDifferences()
    {
        var random = new Random(2);
        GradientAssert.Layer(Create(random, stateful: false, returnSequences: false), TestData.Uniform(random, N * T * D), Shape);
    }
}
