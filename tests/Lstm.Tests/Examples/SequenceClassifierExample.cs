using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Examples;

public class SequenceClassifierExample
{
    [Fact]
    public void Classifier_ReadsTheWholeSequence_FarAboveChance()
    {
        // example begin
        // Sequences of 20 tokens out of 8; the label: does token 0 occur more often than token 1?
        const int T = 20, V = 8, count = 4000;
        var data = new RandomSource(1);
        var inputs = new float[count * T];
        var labels = new float[count];
        for (int e = 0; e < count; e++)
        {
            int balance = 0;
            for (int t = 0; t < T; t++)
            {
                int id = data.NextInt(V);
                inputs[e * T + t] = id;
                balance += id == 0 ? 1 : id == 1 ? -1 : 0;
            }
            labels[e] = balance > 0 ? 1 : 0;
        }
        int train = count * 9 / 10;

        var parameters = new ParameterSet();
        var random = new RandomSource(2);
        var model = new SequentialModel(new Sequential(
                TimeEmbedding.Create(parameters, "embed", V, 16, random),
                TimeLSTM.Create(parameters, "lstm", 16, 32, random, returnSequences: false), // the last h only
                TimeAffine.Create(parameters, "affine", 32, 2, random)),
            new TimeSoftmaxWithLoss(), parameters, random);

        var batches = new ExampleBatches(inputs[..(train * T)], labels[..train], train, T, batchSize: 32, seed: 3);
        var test = new ExampleBatches(inputs[(train * T)..], labels[train..], count - train, T, batchSize: 100, shuffle: false);
        new Trainer(model, new Adam(0.01f), new TrainerOptions(MaxGradNorm: 5f)).Fit(batches, epochs: 8);
        double accuracy = Evaluation.Accuracy(model, test);
        double majority = Math.Max(labels[train..].Average(), 1 - labels[train..].Average());
        Console.WriteLine($"test accuracy {accuracy:P1} (always the majority class: {majority:P1})");
        // example end

        Assert.True(accuracy > 0.9 && accuracy > majority + 0.25, $"accuracy {accuracy:P1} against the majority class {majority:P1}");
    }
}
