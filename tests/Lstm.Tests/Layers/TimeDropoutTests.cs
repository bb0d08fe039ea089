using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeDropoutTests
{
    [Fact]
    public void Backward_SameMask_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var x = TestData.Uniform(random, 2 * 3 * 5);
        var dout = TestData.Uniform(random, x.Length);
        // A fresh layer with the same seed draws the same mask on every evaluation.
        TimeDropout NewLayer() => new(0.4f, new RandomSource(9));
        double Loss() => GradientCheck.Dot(NewLayer().Forward(x, training: true).Span, dout);

        var layer = NewLayer();
        var y = layer.Forward(x, training: true).ToArray();
        var dx = layer.Backward(dout).ToArray();
        GradientCheck.AssertMatches("x", Loss, x, dx);
        Assert.Contains(y, v => v == 0f);
        Assert.All(Enumerable.Range(0, x.Length).Where(i => y[i] != 0f), i => Assert.Equal(x[i] / 0.6f, y[i], 1e-5));
    }

    [Fact]
    public void Forward_Evaluation_IsIdentity()
    {
        var x = TestData.Uniform(new Random(2), 10);
        var layer = new TimeDropout(0.5f, new RandomSource(1));
        Assert.Equal(x, layer.Forward(x, training: false).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeDropout(1f, new RandomSource(1)));
    }

    [Fact]
    public void Forward_Training_KeepsAboutOneMinusRatio()
    {
        var x = Enumerable.Repeat(1f, 100_000).ToArray();
        var y = new TimeDropout(0.3f, new RandomSource(3)).Forward(x, training: true).ToArray();
        double kept = y.Count(v => v != 0f) / (double)y.Length;
        Assert.InRange(kept, 0.69, 0.71);
    }
}
