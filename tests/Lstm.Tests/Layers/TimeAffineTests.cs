using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeAffineTests
{
    private const int H = 5, V = 7;
    private static readonly SequenceShape Shape = new(2, 3);

    [Theory]
    [InlineData(false, false)] // b right after W: dW and db in one product
    [InlineData(false, true)]  // b elsewhere: db by column sums
    [InlineData(true, false)]  // tied to an embedding E [V,H]
    public void Backward_MatchesFiniteDifferences(bool tied, bool spacer)
    {
        var random = new Random(tied ? 2 : spacer ? 3 : 1);
        var set = new ParameterSet();
        var w = tied ? set.Add("E", V, H) : set.Add("W", H, V);
        if (spacer)
            set.Add("spacer", 1, 3);
        var b = set.Add("b", 1, V);
        var layer = new TimeAffine(w, b, transposedWeight: tied);
        Assert.Equal(!spacer, w.IsFollowedBy(b));
        TestData.Uniform(random, set.Values.Length).CopyTo(set.Values, 0);
        GradientAssert.Layer(layer, TestData.Uniform(random, Shape.Rows * H), Shape);
    }

    [Fact]
    public void Forward_Tied_IsTheTransposeOfTheUntiedMap()
    {
        var random = new Random(3);
        var set = new ParameterSet();
        var w = set.Add("W", H, V);
        var e = set.Add("E", V, H);
        var b = set.Add("b", 1, V);
        TestData.Uniform(random, set.Values.Length).CopyTo(set.Values, 0);
        for (int i = 0; i < H; i++)
        {
            for (int j = 0; j < V; j++)
                e.Value[j * H + i] = w.Value[i * V + j];
        }
        var x = TestData.Uniform(random, Shape.Rows * H);
        var untied = new TimeAffine(w, b).Forward(x, Shape).ToArray();
        var tied = new TimeAffine(e, b, transposedWeight: true).Forward(x, Shape).ToArray();
        for (int i = 0; i < untied.Length; i++)
            Assert.Equal(untied[i], tied[i], 1e-5);
    }

    [Fact]
    public void GradWith_ParameterThatDoesNotFollow_Throws()
    {
        var set = new ParameterSet();
        var w = set.Add("W", H, V);
        set.Add("spacer", 1, 1);
        var b = set.Add("b", 1, V);
        Assert.Equal("next", Assert.Throws<ArgumentException>(() => w.GradWith(b)).ParamName);
    }
}
