using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class SequentialTests
{
    private static readonly SequenceShape Shape = new(2, 3);

    [Fact]
    public void Forward_IsTheLayersInOrder_AndBackwardMatchesFiniteDifferences()
    {
        var set = new ParameterSet();
        var random = new RandomSource(1);
        var lstm = TimeLSTM.Create(set, "lstm", 4, 5, random, returnSequences: false);
        var affine = TimeAffine.Create(set, "affine", 5, 3, random);
        var sequential = new Sequential(lstm, affine);
        var xs = TestData.Uniform(new Random(2), Shape.Rows * 4);

        var expected = affine.Forward(lstm.Forward(xs, Shape).ToArray(), lstm.OutputShape(Shape)).ToArray();
        Assert.Equal(expected, sequential.Forward(xs, Shape, training: false).ToArray());
        Assert.Equal(new SequenceShape(2, 1), sequential.OutputShape(Shape));
        Assert.Equal((4, 3), (sequential.InputSize, sequential.OutputSize));
        GradientAssert.Layer(sequential, xs, Shape);
    }

    [Fact]
    public void Parameters_AWeightSharedByTwoLayers_IsListedOnce()
    {
        var set = new ParameterSet();
        var random = new RandomSource(1);
        var embedding = TimeEmbedding.Create(set, "embed", 7, 5, random);
        var sequential = new Sequential(embedding, new TimeAffine(embedding.W, set.Add("affine.b", 1, 7), transposedWeight: true));
        Assert.Equal(["embed.W", "affine.b"], sequential.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Constructor_WidthsThatDoNotMeet_NameTheLayers()
    {
        var set = new ParameterSet();
        var random = new RandomSource(1);
        var e = Assert.Throws<ArgumentException>(() => new Sequential(TimeLSTM.Create(set, "lstm", 4, 5, random), TimeAffine.Create(set, "affine", 6, 3, random)));
        Assert.Contains("Layer 1 (TimeAffine) takes 6 features; layer 0 (TimeLSTM) gives 5", e.Message);
        Assert.Throws<ArgumentException>(() => new Sequential());
    }
}
