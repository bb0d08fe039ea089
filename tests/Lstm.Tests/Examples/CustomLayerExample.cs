using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Examples;

// example begin
/// <summary>A layer the library does not have: ys = tanh(γ ⊙ xs + β), with γ and β learned per feature.</summary>
public sealed class TimeScaledTanh : ILayer
{
    private readonly Parameter _gamma, _beta;
    private ReadOnlyMemory<float> _xs;
    private float[] _ys = [], _dxs = [];

    public TimeScaledTanh(ParameterSet parameters, string name, int size)
    {
        (_gamma, _beta) = (parameters.Add($"{name}.gamma", 1, size), parameters.Add($"{name}.beta", 1, size));
        _gamma.Value.Fill(1f);
        Parameters = [_gamma, _beta];
    }

    public IReadOnlyList<Parameter> Parameters { get; }

    public int InputSize => _gamma.Cols;

    public int OutputSize => _gamma.Cols;

    public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        int D = InputSize;
        if (xs.Length != shape.Rows * D)
            throw new ArgumentException($"xs has {xs.Length} values; expected {shape.Rows}×{D}.", nameof(xs));
        if (_ys.Length != xs.Length)
            (_ys, _dxs) = (new float[xs.Length], new float[xs.Length]); // sized once per shape, then reused
        _xs = xs;
        for (int i = 0; i < xs.Length; i++)
            _ys[i] = MathF.Tanh(_gamma.Value[i % D] * xs.Span[i] + _beta.Value[i % D]);
        return _ys;
    }

    public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
    {
        int D = InputSize;
        for (int i = 0; i < dys.Length; i++)
        {
            float da = dys.Span[i] * (1f - _ys[i] * _ys[i]);  // through tanh
            _gamma.Grad[i % D] += da * _xs.Span[i];            // gradients add into the parameters
            _beta.Grad[i % D] += da;
            _dxs[i] = da * _gamma.Value[i % D];                 // and the input's gradient is returned
        }
        return _dxs;
    }
}
// example end

public class CustomLayerExample
{
    private static readonly SequenceShape Shape = new(2, 3);

    [Fact]
    public void UserLayer_PassesThePublicGradientCheck_AndFailsItWhenWrong()
    {
        var parameters = new ParameterSet();
        var layer = new TimeScaledTanh(parameters, "act", 5);
        TestData.Uniform(new Random(1), parameters.Values.Length).CopyTo(parameters.Values, 0);
        var xs = TestData.Uniform(new Random(2), Shape.Rows * 5);

        var report = GradientCheck.Check(layer, xs, Shape);
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(2 * 5 + xs.Length, report.Checked);
        Assert.InRange(report.WorstRelativeError, 0, 1e-2);
        GradientAssert.Layer(layer, xs, Shape); // and a gradient off in one element fails the same check
    }

    [Fact]
    public void UserLayer_InAModel_GradientsMatchAndTrainingLowersTheLoss()
    {
        var parameters = new ParameterSet();
        var random = new RandomSource(3);
        var model = new SequentialModel(new Sequential(
                TimeEmbedding.Create(parameters, "embed", 7, 4, random),
                TimeLSTM.Create(parameters, "lstm", 4, 5, random),
                new TimeScaledTanh(parameters, "act", 5),
                TimeAffine.Create(parameters, "affine", 5, 7, random)),
            new TimeSoftmaxWithLoss(), parameters, random);
        float[] xs = [1, 4, 4, 0, 6, 2];
        float[] ts = [4, 4, 0, 6, 2, 1];
        GradientAssert.Model(model, xs, ts, Shape);

        var batches = new ExampleBatches(xs, ts, count: 2, timeSteps: 3, batchSize: 2, seed: 1);
        var losses = new Trainer(model, new Adam(0.05f), new TrainerOptions(ReportInterval: 1)).Fit(batches, epochs: 30);
        Assert.True(losses[^1] < 0.2 * losses[0], $"loss {losses[0]} → {losses[^1]}");
    }
}
