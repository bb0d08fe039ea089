using Lstm.Layers;

namespace Lstm.Tests.Layers;

/// <summary>Batches of sequences of different lengths, padded to T: every recurrent layer and the bidirectional wrapper.</summary>
public class VariableLengthTests
{
    private const int N = 3, T = 4, D = 3, H = 4;
    private static readonly int[] Lengths = [4, 1, 2];
    private static readonly SequenceShape Ragged = new SequenceShape(N, T) with { Lengths = Lengths };

    // Lengths in decreasing order take the fast path: the per-step products skip the rows that have ended.
    private static readonly int[] Decreasing = [4, 2, 1];

    public static TheoryData<string> Cells => ["lstm", "gru", "rnn"];

    public static TheoryData<string, bool> CellsAndOrders()
    {
        var data = new TheoryData<string, bool>();
        foreach (string cell in new[] { "lstm", "gru", "rnn" })
        {
            data.Add(cell, false);
            data.Add(cell, true);
        }
        return data;
    }

    private static int[] LengthsOf(bool decreasing) => decreasing ? Decreasing : Lengths;

    private static SequenceShape ShapeOf(bool decreasing) => new SequenceShape(N, T) with { Lengths = LengthsOf(decreasing) };

    private static IRecurrentLayer Create(string cell, bool returnSequences = true)
    {
        var set = new ParameterSet();
        var random = new RandomSource(1);
        IRecurrentLayer layer = cell switch
        {
            "lstm" => TimeLSTM.Create(set, cell, D, H, random, returnSequences: returnSequences),
            "gru" => TimeGRU.Create(set, cell, D, H, random, returnSequences: returnSequences),
            _ => TimeRNN.Create(set, cell, D, H, random, returnSequences: returnSequences),
        };
        TestData.Uniform(new Random(2), set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        return layer;
    }

    private static float[] Inputs() => TestData.Uniform(new Random(3), N * T * D);

    [Theory]
    [MemberData(nameof(CellsAndOrders))]
    public void Forward_RaggedBatch_EqualsEachSequenceAlone(string cell, bool decreasing)
    {
        var layer = Create(cell);
        var xs = Inputs();
        var hs = layer.Forward(xs, ShapeOf(decreasing), training: false).ToArray();
        for (int n = 0; n < N; n++)
        {
            int length = LengthsOf(decreasing)[n];
            var alone = layer.Forward(xs.AsSpan(n * T * D, length * D).ToArray(), new SequenceShape(1, length), training: false).ToArray();
            for (int t = 0; t < T; t++)
            {
                // Past its end a sequence's output repeats its last h.
                var expected = alone.AsSpan(Math.Min(t, length - 1) * H, H);
                Assert.True(expected.SequenceEqual(hs.AsSpan((n * T + t) * H, H)), $"sequence {n}, step {t}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Forward_LastStepOnly_IsEachSequencesLastRealStep(string cell)
    {
        var all = Create(cell);
        var last = Create(cell, returnSequences: false);
        var xs = Inputs();
        var hs = all.Forward(xs, Ragged, training: false).ToArray();
        var hLast = last.Forward(xs, Ragged, training: false).ToArray();
        for (int n = 0; n < N; n++)
            Assert.True(hs.AsSpan((n * T + Lengths[n] - 1) * H, H).SequenceEqual(hLast.AsSpan(n * H, H)));
    }

    [Theory]
    [MemberData(nameof(CellsAndOrders))]
    public void Backward_RaggedBatch_MatchesFiniteDifferences_AndThePaddingGetsNoGradient(string cell, bool decreasing)
    {
        var layer = Create(cell);
        var xs = Inputs();
        var shape = ShapeOf(decreasing);
        GradientAssert.Layer(layer, xs, shape);
        layer.Forward(xs, shape, training: true);
        var dxs = layer.Backward(TestData.Uniform(new Random(4), N * T * H)).ToArray();
        for (int n = 0; n < N; n++)
        {
            for (int t = LengthsOf(decreasing)[n]; t < T; t++)
                Assert.All(dxs.AsSpan((n * T + t) * D, D).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Bidirectional_RaggedBatch_IsBothDirectionsOfEachSequenceAlone()
    {
        var set = new ParameterSet();
        var layer = TimeBidirectional.Lstm(set, "bi", D, H, new RandomSource(5));
        TestData.Uniform(new Random(6), set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        var xs = Inputs();
        var ys = layer.Forward(xs, Ragged, training: false).ToArray();
        Assert.Equal(2 * H, layer.OutputSize);
        for (int n = 0; n < N; n++)
        {
            int length = Lengths[n];
            var sequence = xs.AsSpan(n * T * D, length * D).ToArray();
            var reversed = new float[sequence.Length];
            for (int t = 0; t < length; t++)
                sequence.AsSpan(t * D, D).CopyTo(reversed.AsSpan((length - 1 - t) * D));
            var one = new SequenceShape(1, length);
            var forward = layer.ForwardLayer.Forward(sequence, one, training: false).ToArray();
            var backward = layer.BackwardLayer.Forward(reversed, one, training: false).ToArray();
            for (int t = 0; t < length; t++)
            {
                var row = ys.AsSpan((n * T + t) * 2 * H, 2 * H);
                Assert.True(forward.AsSpan(t * H, H).SequenceEqual(row[..H]), $"forward, sequence {n}, step {t}");
                Assert.True(backward.AsSpan((length - 1 - t) * H, H).SequenceEqual(row[H..]), $"backward, sequence {n}, step {t}");
            }
        }
    }

    [Fact]
    public void Bidirectional_Backward_MatchesFiniteDifferences()
    {
        var set = new ParameterSet();
        var layer = TimeBidirectional.Lstm(set, "bi", D, H, new RandomSource(5));
        TestData.Uniform(new Random(7), set.Values.Length, 0.8f).CopyTo(set.Values, 0);
        GradientAssert.Layer(layer, Inputs(), Ragged);
        GradientAssert.Layer(layer, Inputs(), new SequenceShape(N, T));
    }

    [Fact]
    public void Shape_LengthsOutOfRange_AreRejected()
    {
        var layer = Create("lstm");
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(Inputs(), new SequenceShape(N, T) with { Lengths = new[] { 4, 0, 2 } }, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(Inputs(), new SequenceShape(N, T) with { Lengths = new[] { 5, 1, 2 } }, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.Forward(Inputs(), new SequenceShape(N, T) with { Lengths = new[] { 4, 1 } }, false));
    }
}
