using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeSoftmaxWithLossTests
{
    private const int Rows = 6, V = 7;

    [Fact]
    public void Backward_WithIgnoredLabels_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var layer = new TimeSoftmaxWithLoss();
        var scores = TestData.Uniform(random, Rows * V, 3f);
        int[] labels = [2, -1, 6, 0, -1, 2];
        double Loss() => layer.Forward(scores, labels);

        layer.Forward(scores, labels);
        var dscores = layer.Backward().ToArray();
        GradientCheck.AssertMatches("scores", Loss, scores, dscores);
        Assert.All(dscores.AsSpan(1 * V, V).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Forward_IsMeanCrossEntropyOverCountedPositions()
    {
        var random = new Random(2);
        var scores = TestData.Uniform(random, Rows * V, 3f);
        int[] labels = [2, -1, 6, 0, -1, 2];
        double expected = 0;
        for (int r = 0; r < Rows; r++)
        {
            if (labels[r] < 0)
                continue;
            double sum = 0;
            for (int j = 0; j < V; j++)
                sum += Math.Exp(scores[r * V + j]);
            expected -= Math.Log(Math.Exp(scores[r * V + labels[r]]) / sum);
        }
        Assert.Equal(expected / 4, new TimeSoftmaxWithLoss().Forward(scores, labels), 1e-5);
    }

    [Fact]
    public void Forward_LargeLogits_StayFinite()
    {
        float[] scores = [1000f, 0f, -1000f];
        Assert.Equal(0f, new TimeSoftmaxWithLoss().Forward(scores, [0]), 1e-5);
        Assert.Equal(1000f, new TimeSoftmaxWithLoss().Forward(scores, [1]), 1e-3);
    }

    [Fact]
    public void Forward_LabelOutOfRange_NamesLabels()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TimeSoftmaxWithLoss().Forward(new float[2 * V], [1, V]));
        Assert.Equal("labels", e.ParamName);
    }
}
