using Lstm.Layers;

namespace Lstm.Tests.Layers;

public class TimeAttentionTests
{
    private const int N = 2, Ts = 4, Td = 3, H = 5;
    private static readonly SequenceShape Encoder = new(N, Ts);

    [Fact]
    public void Backward_BothInputs_MatchFiniteDifferences()
    {
        var random = new Random(1);
        var hs = TestData.Uniform(random, N * Ts * H, 1.5f);
        var ds = TestData.Uniform(random, N * Td * H, 1.5f);
        var dcs = TestData.Uniform(random, N * Td * H);
        var attention = new TimeAttention();
        double Loss() => TestData.Dot(attention.Forward(hs, Encoder, ds, Td, H).Span, dcs);

        Loss();
        var (dhs, dds) = attention.Backward(dcs);
        var (dhsCopy, ddsCopy) = (dhs.ToArray(), dds.ToArray());
        GradientAssert.Matches("hs", Loss, hs, dhsCopy);
        GradientAssert.Matches("ds", Loss, ds, ddsCopy);
    }

    [Fact]
    public void Forward_IsTheSoftmaxWeightedSumOfTheEncoderStates()
    {
        var random = new Random(2);
        var hs = TestData.Uniform(random, N * Ts * H);
        var ds = TestData.Uniform(random, N * Td * H);
        var attention = new TimeAttention();
        var cs = attention.Forward(hs, Encoder, ds, Td, H).ToArray();
        for (int n = 0; n < N; n++)
        {
            for (int t = 0; t < Td; t++)
            {
                var scores = Enumerable.Range(0, Ts).Select(s => Enumerable.Range(0, H).Sum(j => (double)hs[(n * Ts + s) * H + j] * ds[(n * Td + t) * H + j])).ToArray();
                double max = scores.Max(), sum = scores.Sum(v => Math.Exp(v - max));
                for (int j = 0; j < H; j++)
                {
                    double c = Enumerable.Range(0, Ts).Sum(s => Math.Exp(scores[s] - max) / sum * hs[(n * Ts + s) * H + j]);
                    Assert.Equal(c, cs[(n * Td + t) * H + j], 1e-5);
                }
                Assert.Equal(1.0, attention.Weights.Slice((n * Td + t) * Ts, Ts).ToArray().Sum(), 1e-5);
            }
        }
    }
}
