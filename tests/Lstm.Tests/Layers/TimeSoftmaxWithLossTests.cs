using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeSoftmaxWithLossTests
{
    private const int V = 7;
    private static readonly SequenceShape Shape = new(2, 3);
    private static readonly float[] Labels = [2, -1, 6, 0, -1, 2];

    [Fact]
    public void Backward_WithIgnoredLabels_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var layer = new TimeSoftmaxWithLoss();
        var scores = TestData.Uniform(random, Shape.Rows * V, 3f);
        double Loss() => layer.Forward(scores, Labels, Shape, training: false);

        layer.Forward(scores, Labels, Shape, training: true);
        var dscores = layer.Backward().ToArray();
        GradientAssert.Matches("scores", Loss, scores, dscores);
        Assert.All(dscores.AsSpan(1 * V, V).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Forward_IsMeanCrossEntropyOverCountedPositions()
    {
        var random = new Random(2);
        var scores = TestData.Uniform(random, Shape.Rows * V, 3f);
        double expected = 0;
        for (int r = 0; r < Shape.Rows; r++)
        {
            int label = (int)Labels[r];
            if (label < 0)
                continue;
            double sum = 0;
            for (int j = 0; j < V; j++)
                sum += Math.Exp(scores[r * V + j]);
            expected -= Math.Log(Math.Exp(scores[r * V + label]) / sum);
        }
        var layer = new TimeSoftmaxWithLoss();
        Assert.Equal(expected / 4, layer.Forward(scores, Labels, Shape, training: false), 1e-5);
        Assert.Equal(expected / 4, layer.Forward(scores, Labels, Shape, training: true), 1e-5);
    }

    [Fact]
    public void Forward_OverwritingTheScores_GivesTheSameLossAndGradientInTheirPlace()
    {
        var scores = TestData.Uniform(new Random(3), Shape.Rows * V, 3f);
        var copy = scores.ToArray();
        var separate = new TimeSoftmaxWithLoss();
        var inPlace = new TimeSoftmaxWithLoss(overwriteScores: true);
        Assert.Equal(separate.Forward(copy, Labels, Shape, training: true), inPlace.Forward(scores, Labels, Shape, training: true));
        var expected = separate.Backward().ToArray();
        Assert.Equal(expected, inPlace.Backward().ToArray());
        Assert.Equal(expected, scores);
    }

    [Fact]
    public void Forward_LargeLogits_StayFinite()
    {
        float[] scores = [1000f, 0f, -1000f];
        var one = new SequenceShape(1, 1);
        Assert.Equal(0f, new TimeSoftmaxWithLoss().Forward(scores, new float[] { 0 }, one, training: true), 1e-5);
        Assert.Equal(1000f, new TimeSoftmaxWithLoss().Forward(scores, new float[] { 1 }, one, training: false), 1e-3);
    }

    [Theory]
    [InlineData(7f)]
    [InlineData(0.5f)]
    [InlineData(-2f)]
    public void Forward_LabelNotAClass_NamesTargets(float label)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TimeSoftmaxWithLoss().Forward(new float[2 * V], new float[] { 1, label }, new SequenceShape(1, 2), training: true));
        Assert.Equal("targets", e.ParamName);
    }

    [Fact]
    public void Backward_AfterEvaluation_Throws()
    {
        var layer = new TimeSoftmaxWithLoss();
        layer.Forward(new float[V], new float[] { 1 }, new SequenceShape(1, 1), training: false);
        Assert.Throws<InvalidOperationException>(() => layer.Backward());
    }
}
