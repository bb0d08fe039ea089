using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Tests.Models;

public class RnnlmTests
{
    private const int N = 2, T = 3, V = 7;

    [Theory]
    [InlineData(1, 0f, false, RecurrentCell.Lstm)]  // the book's Rnnlm
    [InlineData(2, 0.3f, true, RecurrentCell.Lstm)] // BetterRnnlm: two layers, dropout, tied
    [InlineData(2, 0f, false, RecurrentCell.Rnn)]
    [InlineData(2, 0.3f, true, RecurrentCell.Gru)]
    public void Backward_WholeModel_MatchesFiniteDifferences(int layers, float dropout, bool tied, RecurrentCell cell)
    {
        var model = new Rnnlm(new RnnlmConfig(V, 5, 5, layers, dropout, tied, cell), seed: 3);
        var random = new Random(4);
        // Larger weights than the book's initialisation, so every path carries a gradient well above rounding.
        TestData.Uniform(random, model.Parameters.Values.Length, 0.5f).CopyTo(model.Parameters.Values, 0);
        float[] xs = [1, 4, 4, 0, 6, 2];
        float[] ts = [4, 4, 0, 6, 2, 1];
        GradientAssert.Model(model, xs, ts, new SequenceShape(N, T));
        Assert.Equal(tied, !model.Parameters.Parameters.Any(p => p.Name == "affine.W"));
    }

    [Fact]
    public void Config_TiedWithDifferentSizes_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Rnnlm(new RnnlmConfig(10, 4, 5, TieWeights: true)));
        Assert.Contains("D = H", e.Message);
        Assert.Throws<ArgumentException>(() => new Rnnlm(new RnnlmConfig(10, Dropout: 1f)));
    }

    [Fact]
    public void Initialisation_FollowsTheBook()
    {
        var model = new Rnnlm(new RnnlmConfig(2000, 100, 100), seed: 1);
        static double Std(Span<float> v)
        {
            double mean = 0, sq = 0;
            foreach (float x in v)
                mean += x;
            mean /= v.Length;
            foreach (float x in v)
                sq += (x - mean) * (x - mean);
            return Math.Sqrt(sq / v.Length);
        }
        var p = model.Parameters;
        Assert.Equal(0.01, Std(p["embed.W"].Value), 0.0005);
        Assert.Equal(0.1, Std(p["lstm0.Wx"].Value), 0.005);
        Assert.Equal(0.1, Std(p["lstm0.Wh"].Value), 0.005);
        Assert.Equal(0.1, Std(p["affine.W"].Value), 0.005);
        Assert.All(p["lstm0.b"].Value.ToArray(), b => Assert.Equal(0f, b));
        Assert.All(p["affine.b"].Value.ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Forward_BadInput_NamesTheProblem()
    {
        var model = new Rnnlm(new RnnlmConfig(V, 5, 5));
        Assert.Equal("xs", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([0, 7], [1, 2], 1, 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => model.Forward([0, 1], [1], 1, 2)).ParamName);
        Assert.Equal("xs", Assert.Throws<ArgumentException>(() => model.Forward([0, 1, 2], [1, 2, 3], 1, 2)).ParamName);
        Assert.Throws<InvalidOperationException>(model.Backward);
    }
}

public sealed class ParameterCountTests
{
    [Theory]
    [InlineData(RecurrentCell.Lstm, false, 1)]
    [InlineData(RecurrentCell.Gru, false, 2)]
    [InlineData(RecurrentCell.Rnn, false, 3)]
    [InlineData(RecurrentCell.Lstm, true, 2)]
    public void CountParameters_IsWhatTheBuiltModelHas(RecurrentCell cell, bool tied, int layers)
    {
        var config = new RnnlmConfig(11, 6, tied ? 6 : 7, layers, 0.2f, tied, cell);
        Assert.Equal(new Rnnlm(config).Parameters.Length, config.CountParameters());
        foreach (var kind in Enum.GetValues<Seq2seqKind>())
        {
            var seq2seq = new Seq2seqConfig(VocabularySize: 9, EmbeddingSize: 3, HiddenSize: 5, kind);
            Assert.Equal(EncoderDecoder.Create(seq2seq).Parameters.Length, seq2seq.CountParameters());
        }
    }

    [Fact]
    public void CountParameters_OfAModelTooLargeToBuild_SaysSo_WithoutAllocatingIt()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsAny<ArgumentException>(() => new RnnlmConfig(10000, 100, 46341).CountParameters());
        // V·D + D·4H + H·4H + 4H + H·V + V for V = 1,000, D = 1,000, H = 10,000: 1.8 GB if it were allocated.
        Assert.Equal(1_000_000 + 40_000_000 + 400_000_000 + 40_000 + 10_000_000 + 1_000, new RnnlmConfig(1000, 1000, 10000).CountParameters());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }
}
