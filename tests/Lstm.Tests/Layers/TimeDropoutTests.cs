using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeDropoutTests
{
    private static readonly SequenceShape Shape = new(2, 3);

    [Fact]
    public void Backward_SameMask_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var x = TestData.Uniform(random, Shape.Rows * 5);
        var masks = new RandomSource(9);
        var layer = new TimeDropout(0.4f, masks, 5);
        GradientAssert.Layer(layer, x, Shape, masks);

        masks.SetState(new RandomSource(9).State);
        var y = layer.Forward(x, Shape, training: true).ToArray();
        Assert.Contains(y, v => v == 0f);
        Assert.All(Enumerable.Range(0, x.Length).Where(i => y[i] != 0f), i => Assert.Equal(x[i] / 0.6f, y[i], 1e-5));
    }

    [Fact]
    public void Forward_Evaluation_IsIdentity()
    {
        var x = TestData.Uniform(new Random(2), 10);
        var layer = new TimeDropout(0.5f, new RandomSource(1), 5);
        Assert.Equal(x, layer.Forward(x, new SequenceShape(1, 2), training: false).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeDropout(1f, new RandomSource(1), 5));
        Assert.Equal("xs", Assert.Throws<ArgumentException>(() => layer.Forward(x, new SequenceShape(1, 3), training: true)).ParamName);
    }

    [Fact]
    public void Forward_Training_KeepsAboutOneMinusRatio()
    {
        var x = Enumerable.Repeat(1f, 100_000).ToArray();
        var y = new TimeDropout(0.3f, new RandomSource(3), 100).Forward(x, new SequenceShape(1000, 1), training: true).ToArray();
        double kept = y.Count(v => v != 0f) / (double)y.Length;
        Assert.InRange(kept, 0.69, 0.71);
    }
}
