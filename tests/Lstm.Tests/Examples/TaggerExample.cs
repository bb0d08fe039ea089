using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Examples;

public class TaggerExample
{
    [Fact]
    public void BidirectionalTagger_OverVariableLengths_SeesWhatComesNext()
    {
        // example begin
        // Sequences of 3 to 12 tokens out of 10, padded to 12; each token's tag is the token after it (10 at the end),
        // which only a layer that also reads the sequence backwards can know.
        const int T = 12, V = 10, count = 3000;
        var data = new RandomSource(1);
        var inputs = new float[count * T];
        var tags = new float[count * T];
        var lengths = new int[count];
        for (int e = 0; e < count; e++)
        {
            lengths[e] = 3 + data.NextInt(T - 2);
            for (int t = 0; t < T; t++)
                inputs[e * T + t] = t < lengths[e] ? data.NextInt(V) : 0;
            for (int t = 0; t < T; t++)
                tags[e * T + t] = t < lengths[e] - 1 ? inputs[e * T + t + 1] : t == lengths[e] - 1 ? V : -1; // −1: padding
        }
        int train = count * 9 / 10;

        var parameters = new ParameterSet();
        var random = new RandomSource(2);
        var model = new SequentialModel(new Sequential(
                TimeEmbedding.Create(parameters, "embed", V, 16, random),
                TimeBidirectional.Lstm(parameters, "bilstm", 16, 32, random),
                TimeAffine.Create(parameters, "affine", 64, V + 1, random)),
            new TimeSoftmaxWithLoss(), parameters, random);

        var batches = new ExampleBatches(inputs[..(train * T)], tags[..(train * T)], train, T, batchSize: 32, seed: 3, lengths: lengths[..train]);
        var test = new ExampleBatches(inputs[(train * T)..], tags[(train * T)..], count - train, T, batchSize: 100, shuffle: false, lengths: lengths[train..]);
        new Trainer(model, new Adam(0.01f), new TrainerOptions(MaxGradNorm: 5f)).Fit(batches, epochs: 6);
        double accuracy = Evaluation.Accuracy(model, test);
        Console.WriteLine($"test accuracy per token {accuracy:P1} (a forward-only model could guess 1 in {V})");
        // example end

        Assert.True(accuracy > 0.9, $"accuracy {accuracy:P1}");
    }
}
