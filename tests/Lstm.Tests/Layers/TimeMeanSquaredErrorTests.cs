using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeMeanSquaredErrorTests
{
    private static readonly SequenceShape Shape = new(2, 3);

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var ys = TestData.Uniform(random, Shape.Rows * 2);
        var targets = TestData.Uniform(random, ys.Length);
        var loss = new TimeMeanSquaredError();
        loss.Forward(ys, targets, Shape, training: true);
        var dys = loss.Backward().ToArray();
        GradientAssert.Matches("ys", () => loss.Forward(ys, targets, Shape, training: false), ys, dys);
    }

    [Fact]
    public void Forward_IsTheMeanOfTheSquaredErrors()
    {
        float[] ys = [1f, 2f, 3f, 4f];
        float[] targets = [0f, 2f, 5f, 1f];
        Assert.Equal((1.0 + 0 + 4 + 9) / 4, new TimeMeanSquaredError().Forward(ys, targets, new SequenceShape(2, 1), training: false), 1e-6);
    }

    [Fact]
    public void Forward_MismatchedTargets_NamesThem()
    {
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new TimeMeanSquaredError().Forward(new float[4], new float[3], new SequenceShape(2, 1), true)).ParamName);
        Assert.Throws<InvalidOperationException>(() => new TimeMeanSquaredError().Backward());
    }
}
