using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeEmbeddingTests
{
    private static readonly SequenceShape Shape = new(2, 3);

    [Fact]
    public void Backward_RepeatedIds_MatchesFiniteDifferences()
    {
        var random = new Random(1);
        var set = new ParameterSet();
        var layer = new TimeEmbedding(set.Add("W", 7, 4));
        TestData.Uniform(random, set.Values.Length).CopyTo(set.Values, 0);
        float[] ids = [3, 1, 3, 6, 3, 1]; // id 3 three times, id 1 twice
        GradientAssert.Layer(layer, ids, Shape);

        var dout = TestData.Uniform(random, ids.Length * 4);
        set.ZeroGrad();
        layer.Forward(ids, Shape);
        Assert.True(layer.Backward(dout).IsEmpty, "ids have no gradient");
        Assert.Equal(dout[0] + dout[8] + dout[16], set["W"].Grad[3 * 4], 1e-5);
    }

    [Theory]
    [InlineData(7f)]
    [InlineData(-1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Forward_IdNotInTheVocabulary_NamesXsAndPosition(float id)
    {
        var set = new ParameterSet();
        var layer = new TimeEmbedding(set.Add("W", 7, 4));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(new float[] { 1, id }, new SequenceShape(1, 2)));
        Assert.Equal("xs", e.ParamName);
        Assert.Contains("position 1", e.Message);
    }
}
