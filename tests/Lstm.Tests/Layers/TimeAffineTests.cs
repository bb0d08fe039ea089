using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeAffineTests
{
    private const int Rows = 6, H = 5, V = 7; // N=2 × T=3 rows

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
        var layer = new TimeAffine(w, set.Add("b", 1, V), transposedWeight: tied);
        TestData.Uniform(random, set.Values.Length).CopyTo(set.Values, 0);
        var x = TestData.Uniform(random, Rows * H);
        var dout = TestData.Uniform(random, Rows * V);
        double Loss() => GradientCheck.Dot(layer.Forward(x).Span, dout);

        set.ZeroGrad();
        layer.Forward(x);
        var dx = layer.Backward(dout).ToArray();
        foreach (var p in set.Parameters)
            GradientCheck.AssertMatches(p.Name, Loss, p.Value, p.Grad.ToArray());
        GradientCheck.AssertMatches("x", Loss, x, dx);
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
        var x = TestData.Uniform(random, Rows * H);
        var untied = new TimeAffine(w, b).Forward(x).ToArray();
        var tied = new TimeAffine(e, b, transposedWeight: true).Forward(x).ToArray();
        for (int i = 0; i < untied.Length; i++)
            Assert.Equal(untied[i], tied[i], 1e-5);
    }
}
