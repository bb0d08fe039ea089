using Lstm.Training;

namespace Lstm.Tests.Training;

public class GradientClippingTests
{
    [Theory]
    [InlineData(0.5f)] // above the limit: scaled to it
    [InlineData(10f)]  // below: unchanged
    public void ClipByGlobalNorm_ScalesOnlyAboveTheLimit(float maxNorm)
    {
        var set = new ParameterSet();
        set.Add("a", 2, 3);
        set.Add("b", 1, 5);
        TestData.Uniform(new Random(1), set.Gradients.Length).CopyTo(set.Gradients, 0);
        var before = set.Gradients.ToArray();
        double norm = Math.Sqrt(before.Sum(g => (double)g * g));

        Assert.Equal(norm, GradientClipping.ClipByGlobalNorm(set, maxNorm), 1e-5);
        double rate = maxNorm / (norm + 1e-6);
        for (int i = 0; i < before.Length; i++)
            Assert.Equal(rate < 1 ? before[i] * rate : before[i], set.Gradients[i], 1e-6);
        Assert.Equal(Math.Min(norm, maxNorm), Math.Sqrt(set.Gradients.Sum(g => (double)g * g)), 1e-5);
    }

    [Fact]
    public void ClipByGlobalNorm_LimitNotPositive_NamesIt()
    {
        var set = new ParameterSet();
        set.Add("a", 1, 1);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(set, 0f)).ParamName);
    }
}
