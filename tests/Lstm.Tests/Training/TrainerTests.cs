using Lstm.Kernels;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Training;

[Collection(nameof(ProcessState))]
public class TrainerTests
{
    /// <summary>A small language with structure: counting sequences with a random start, and a closing token.</summary>
    private static int[] CountingCorpus(int length, int vocabulary, int seed)
    {
        var random = new RandomSource((ulong)seed);
        var ids = new int[length];
        int i = 0;
        while (i < length)
        {
            int start = random.NextInt(vocabulary - 1), run = 3 + random.NextInt(5);
            for (int k = 0; k < run && i < length; k++)
                ids[i++] = (start + k) % (vocabulary - 1);
            if (i < length)
                ids[i++] = vocabulary - 1;
        }
        return ids;
    }

    [Fact]
    public void Fit_SeededShortRun_LossFallsToTheRecordedValue()
    {
        var corpus = CountingCorpus(4000, 24, seed: 5);
        var model = new Rnnlm(new RnnlmConfig(24, 16, 16), seed: 7);
        var trainer = new Trainer(model, new Sgd(2f), new TrainerOptions(BatchSize: 4, TimeSteps: 8, ReportInterval: 25));
        var losses = trainer.Fit(corpus, epochs: 2); // 124 iterations an epoch, reported every 25 and at epoch ends

        Assert.Equal(10, losses.Count);
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]} → {losses[^1]} should at least halve");
        // Recorded from this configuration; a change to any formula, the batching or the initialisation moves it.
        Assert.Equal(RecordedFinalLoss, losses[^1], RecordedFinalLoss * 1e-3);
    }

    private const double RecordedFinalLoss = 0.9185048;

    [Fact]
    public void Fit_OneAndTwoThreads_BitwiseIdenticalWeights()
    {
        var corpus = CountingCorpus(20000, 1500, seed: 6);
        float[] Train(int threads)
        {
            int saved = Gemm.Threads;
            try
            {
                Gemm.Threads = threads;
                var model = new Rnnlm(new RnnlmConfig(1500, 64, 64, Layers: 2, Dropout: 0.2f), seed: 8);
                new Trainer(model, new Adam(0.01f), new TrainerOptions(BatchSize: 16, TimeSteps: 12)).Fit(corpus, epochs: 1, maxSteps: 6);
                return model.Parameters.Values;
            }
            finally
            {
                Gemm.Threads = saved;
            }
        }

        Assert.True(Train(1).AsSpan().SequenceEqual(Train(2)), "training at 1 and 2 threads must give the same weights bit for bit");
    }

    [Fact]
    public void Fit_ValidationBetweenEpochs_LeavesTrainingUnchanged()
    {
        var corpus = CountingCorpus(3000, 24, seed: 5);
        var validation = CountingCorpus(800, 24, seed: 9);
        float[] Train(int[]? valid)
        {
            var model = new Rnnlm(new RnnlmConfig(24, 16, 16), seed: 7);
            new Trainer(model, new Sgd(1f), new TrainerOptions(BatchSize: 4, TimeSteps: 8)).Fit(corpus, epochs: 3, validation: valid);
            return model.Parameters.Values;
        }

        Assert.True(Train(null).AsSpan().SequenceEqual(Train(validation)), "validation must not change the training state");
    }

    [Fact]
    public void Fit_LossFarAboveAUniformGuessForThreeReports_StopsAsDiverging()
    {
        // A learning rate of 10⁶ without clipping: the loss explodes but can stay finite.
        var corpus = CountingCorpus(4000, 24, seed: 5);
        var options = new TrainerOptions(BatchSize: 4, TimeSteps: 8, MaxGradNorm: 0f, ReportInterval: 5, MaxLoss: 3f * MathF.Log(24));
        var model = new Rnnlm(new RnnlmConfig(24, 16, 16), seed: 7);
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(model, new Sgd(1e6f), options).Fit(corpus, epochs: 2));
        Assert.Contains("above 9.534 for 3 report(s)", e.Message);
        Assert.Contains("iteration 15", e.Message); // three reports of five iterations

        // A run that ends above the limit diverged too, even after fewer reports.
        var shortRun = new Rnnlm(new RnnlmConfig(24, 16, 16), seed: 7);
        var ended = Assert.Throws<TrainingDivergedException>(() => new Trainer(shortRun, new Sgd(1e6f), options).Fit(corpus, epochs: 2, maxSteps: 10));
        Assert.Contains("iteration 10", ended.Message);

        // The same limit does not stop a healthy run.
        var healthy = new Rnnlm(new RnnlmConfig(24, 16, 16), seed: 7);
        var losses = new Trainer(healthy, new Sgd(2f), options with { MaxGradNorm = 0.25f }).Fit(corpus, epochs: 2);
        Assert.True(losses[^1] < losses[0]);
    }

    [Fact]
    public void Fit_DivergingLoss_StopsWithAClearMessage()
    {
        var corpus = CountingCorpus(2000, 24, seed: 5);
        var model = new Rnnlm(new RnnlmConfig(24, 16, 16), seed: 7);
        model.Parameters["affine.W"].Value[0] = float.NaN;
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(model, new Sgd(1f), new TrainerOptions(4, 8)).Fit(corpus, 1));
        Assert.Contains("NaN", e.Message);
    }
}
