using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Examples;

public class ForecasterExample
{
    [Fact]
    public void Forecaster_BeatsTheLastValueForecast()
    {
        // example begin
        // A noisy sum of two waves; from the last 24 values, predict the next one.
        const int T = 24, count = 3000;
        var noise = new RandomSource(1);
        var series = new float[count + T];
        for (int i = 0; i < series.Length; i++)
            series[i] = MathF.Sin(0.2f * i) + 0.5f * MathF.Sin(0.05f * i + 1f) + 0.05f * (2f * noise.NextSingle() - 1f);
        var inputs = new float[count * T];  // [count, T, 1]: float inputs, no embedding
        var targets = new float[count];     // [count, 1]
        for (int e = 0; e < count; e++)
        {
            series.AsSpan(e, T).CopyTo(inputs.AsSpan(e * T));
            targets[e] = series[e + T];
        }
        int train = count * 9 / 10;

        var parameters = new ParameterSet();
        var random = new RandomSource(2);
        var model = new SequentialModel(new Sequential(
                TimeLSTM.Create(parameters, "lstm", 1, 32, random, returnSequences: false),
                TimeAffine.Create(parameters, "affine", 32, 1, random)),
            new TimeMeanSquaredError(), parameters, random);

        var batches = new ExampleBatches(inputs[..(train * T)], targets[..train], train, T, batchSize: 32, seed: 3);
        var test = new ExampleBatches(inputs[(train * T)..], targets[train..], count - train, T, batchSize: 100, shuffle: false);
        new Trainer(model, new Adam(0.01f), new TrainerOptions(MaxGradNorm: 1f)).Fit(batches, epochs: 10);
        double mse = Evaluation.MeanSquaredError(model, test);
        double naive = Enumerable.Range(train, count - train).Average(e => Math.Pow(targets[e] - inputs[e * T + T - 1], 2));
        Console.WriteLine($"test MSE {mse:G3}; the last value as the forecast: {naive:G3}");
        // example end

        Assert.True(mse < 0.5 * naive, $"MSE {mse:G3} should be well under the last-value forecast's {naive:G3}");
    }
}
