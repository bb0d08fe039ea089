using Lstm.Models;

namespace Lstm.Tests.Models;

public class TextGeneratorTests
{
    private static Rnnlm Model() => new(new RnnlmConfig(11, 6, 6), seed: 2);

    [Fact]
    public void Generate_SameSeed_SameTokens()
    {
        var model = Model();
        var options = new SamplingOptions(Temperature: 1.5f, TopK: 5, TopP: 0.9f);
        var first = TextGenerator.Generate(model, [1, 2], 30, options, new RandomSource(7)).ToArray();
        var second = TextGenerator.Generate(model, [1, 2], 30, options, new RandomSource(7)).ToArray();
        Assert.Equal(first, second);
        Assert.All(first, id => Assert.InRange(id, 0, 10));
        Assert.True(first.Distinct().Count() > 1);
    }

    [Fact]
    public void Generate_ZeroTemperatureTopOneAndTinyTopP_AreAllGreedy()
    {
        var model = Model();
        var greedy = TextGenerator.Generate(model, [3], 20, new SamplingOptions(Temperature: 0f), new RandomSource(1)).ToArray();
        Assert.Equal(greedy, TextGenerator.Generate(model, [3], 20, new SamplingOptions(TopK: 1), new RandomSource(2)).ToArray());
        Assert.Equal(greedy, TextGenerator.Generate(model, [3], 20, new SamplingOptions(TopP: 1e-6f), new RandomSource(3)).ToArray());

        // Greedy by hand: feed each token, take the arg max of its scores.
        model.ResetState();
        var scores = model.Predict([3], 1, 1).ToArray();
        for (int i = 0; i < greedy.Length; i++)
        {
            int best = Array.IndexOf(scores, scores.Max());
            Assert.Equal(best, greedy[i]);
            scores = model.Predict([best], 1, 1).ToArray();
        }
    }

    [Fact]
    public void Generate_BadArguments_NameTheProblem()
    {
        var model = Model();
        Assert.Equal("prompt", Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, [], 5, new SamplingOptions(), new RandomSource(1))).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => TextGenerator.Generate(model, [1], 5, new SamplingOptions(TopP: 0f), new RandomSource(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TextGenerator.Generate(model, [11], 5, new SamplingOptions(), new RandomSource(1)).ToArray());
    }
}
