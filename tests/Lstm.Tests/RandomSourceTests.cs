namespace Lstm.Tests;

public class RandomSourceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(257)]
    public void Permutation_HoldsEveryIndexOnce_TheSameForTheSameSeed(int n)
    {
        var order = new int[n];
        new RandomSource(3).Permutation(order);
        Assert.Equal(Enumerable.Range(0, n), order.Order());
        var again = new int[n];
        new RandomSource(3).Permutation(again);
        Assert.Equal(order, again);
        if (n > 2)
            Assert.NotEqual(Enumerable.Range(0, n), order);
    }
}
