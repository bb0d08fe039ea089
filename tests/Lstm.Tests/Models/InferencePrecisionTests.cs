using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Tests.Models;

public sealed class InferencePrecisionTests
{
    public static TheoryData<RecurrentCell, bool, WeightPrecision, int> Cases()
    {
        var data = new TheoryData<RecurrentCell, bool, WeightPrecision, int>();
        foreach (var cell in Enum.GetValues<RecurrentCell>())
        {
            foreach (var precision in new[] { WeightPrecision.BFloat16, WeightPrecision.Int8 })
            {
                data.Add(cell, false, precision, 1);
                data.Add(cell, true, precision, 3);
            }
        }
        return data;
    }

    private static Rnnlm Model(RecurrentCell cell, bool tied)
    {
        var model = new Rnnlm(new RnnlmConfig(37, 12, tied ? 12 : 19, Layers: 2, TieWeights: tied, Cell: cell), seed: 4);
        TestData.Uniform(new Random(5), model.Parameters.Length, 0.5f).CopyTo(model.Parameters.Values, 0);
        return model;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generating_WithAReducedPrecisionCopy_ComputesWhatTheRoundedFloatModelDoes(RecurrentCell cell, bool tied, WeightPrecision precision, int batch)
    {
        var reduced = Model(cell, tied);
        reduced.SetInferencePrecision(precision);
        var rounded = Model(cell, tied);
        rounded.RoundWeights(precision);
        var exact = Model(cell, tied);
        var random = new Random(6);
        double worstRounding = 0;
        for (int step = 0; step < 6; step++)
        {
            var ids = Enumerable.Range(0, batch).Select(_ => (float)random.Next(37)).ToArray();
            var shape = new SequenceShape(batch, 1);
            var a = reduced.Predict(ids, shape).ToArray();
            var b = rounded.Predict(ids, shape).ToArray();
            var c = exact.Predict(ids, shape).ToArray();
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5f * (1 + Math.Abs(b[i])), $"step {step}, score {i}: {a[i]} with the copy, {b[i]} with rounded weights");
                worstRounding = Math.Max(worstRounding, Math.Abs(c[i] - b[i]));
            }
        }
        Assert.True(worstRounding > 1e-4, "the reduced precision must change the scores, or the copy was never used");
    }

    [Fact]
    public void Training_RefusesAReducedPrecisionCopy_AndFloat32DropsIt()
    {
        var model = Model(RecurrentCell.Lstm, tied: false);
        var exact = Model(RecurrentCell.Lstm, tied: false);
        model.SetInferencePrecision(WeightPrecision.BFloat16);
        float[] ids = [1f, 2f, 3f, 4f];
        var shape = new SequenceShape(1, 4);
        Assert.Throws<InvalidOperationException>(() => model.Forward(ids, ids, shape, training: true));

        // More than 4 rows use the float weights; Float32 drops the copy for every size.
        var many = new SequenceShape(1, 5);
        float[] five = [1f, 2f, 3f, 4f, 5f];
        Assert.Equal(exact.Predict(five, many).ToArray(), model.Predict(five, many).ToArray());
        model.ResetState();
        exact.ResetState();
        model.SetInferencePrecision(WeightPrecision.Float32);
        Assert.Equal(exact.Predict(ids, shape).ToArray(), model.Predict(ids, shape).ToArray());
        model.Forward(ids, ids, shape, training: true);
    }
}
