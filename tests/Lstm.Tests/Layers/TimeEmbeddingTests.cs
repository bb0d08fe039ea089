using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeEmbeddingTests
{
    [Fact]
    public void Backward_RepeatedIds_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var set = new ParameterSet();
        var layer = new TimeEmbedding(set.Add("W", 7, 4));
        TestData.Uniform(random, set.Values.Length).CopyTo(set.Values, 0);
        int[] ids = [3, 1, 3, 6, 3, 1]; // N=2, T=3; id 3 three times, id 1 twice
        var dout = TestData.Uniform(random, ids.Length * 4);
        double Loss() => GradientCheck.Dot(layer.Forward(ids).Span, dout);

        set.ZeroGrad();
        layer.Forward(ids);
        layer.Backward(dout);
        GradientCheck.AssertMatches("W", Loss, set["W"].Value, set["W"].Grad.ToArray());
        Assert.Equal(dout[0] + dout[8] + dout[16], set["W"].Grad[3 * 4], 1e-5);
    }

    [Fact]
    public void Forward_IdOutOfRange_NamesIdsAndPosition()
    {
        var set = new ParameterSet();
        var layer = new TimeEmbedding(set.Add("W", 7, 4));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward([1, 7]));
        Assert.Equal("ids", e.ParamName);
        Assert.Contains("position 1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward([-1]));
    }
}
