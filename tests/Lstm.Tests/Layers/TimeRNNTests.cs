using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeRNNTests
{
    private const int N = 2, T = 3, D = 4, H = 5;

    [Fact]
    public void Backward_SecondStatefulCall_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var set = new ParameterSet();
        var layer = new TimeRNN(set.Add("Wx", D, H), set.Add("Wh", H, H), set.Add("b", 1, H), stateful: true);
        TestData.Uniform(random, set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        layer.Forward(TestData.Uniform(random, N * T * D), N, T);
        var h0 = layer.HiddenState.ToArray();
        var xs = TestData.Uniform(random, N * T * D);
        var dout = TestData.Uniform(random, N * T * H);
        double Loss()
        {
            layer.SetState(h0);
            return GradientCheck.Dot(layer.Forward(xs, N, T).Span, dout);
        }

        set.ZeroGrad();
        layer.SetState(h0);
        layer.Forward(xs, N, T);
        var dxs = layer.Backward(dout).ToArray();
        var dh = layer.Dh.ToArray();

        foreach (var p in set.Parameters)
            GradientCheck.AssertMatches(p.Name, Loss, p.Value, p.Grad.ToArray());
        GradientCheck.AssertMatches("xs", Loss, xs, dxs);
        GradientCheck.AssertMatches("h0", Loss, h0, dh);
    }
}
