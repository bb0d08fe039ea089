using Lstm.Data;
using Lstm.IO;
using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Training;

public sealed class ResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lstm-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Killed : Exception;

    [Theory]
    [InlineData(7)]  // inside epoch 1
    [InlineData(16)] // inside epoch 2, after a validation
    public void KillAndResume_EndsWithTheSameWeightsBitForBit(int killAfterStep)
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var corpus = SyntheticLanguage.Generate(3000, seed: 1);
        var validation = SyntheticLanguage.Generate(800, seed: 2);
        var config = new RnnlmConfig(vocabulary.Count, 8, 8, Layers: 2, Dropout: 0.3f);
        var options = new TrainerOptions(BatchSize: 4, TimeSteps: 10, LearningRateDecay: 4f, CheckpointInterval: 3);

        var uninterrupted = new Rnnlm(config, seed: 5);
        new Trainer(uninterrupted, new Adam(0.01f), options).Fit(corpus, epochs: 3, validation: validation);

        string path = Path.Combine(_dir, "run.safetensors");
        var first = new Rnnlm(config, seed: 5);
        var optimizer = new Adam(0.01f);
        var trainer = new Trainer(first, optimizer, options);
        trainer.CheckpointDue += position =>
        {
            Checkpoint.Save(path, first, vocabulary, optimizer, position);
            if (position.Step >= killAfterStep)
                throw new Killed();
        };
        Assert.Throws<Killed>(() => trainer.Fit(corpus, epochs: 3, validation: validation));

        var resumedOptimizer = new Adam(0.01f);
        var (resumed, _, start) = Checkpoint.LoadTraining(path, resumedOptimizer);
        Assert.True(start.Step >= killAfterStep);
        new Trainer(resumed, resumedOptimizer, options).Fit(corpus, epochs: 3, validation: validation, resume: start);

        Assert.True(uninterrupted.Parameters.Values.AsSpan().SequenceEqual(resumed.Parameters.Values),
            "a resumed run must end with the weights of the uninterrupted one");
    }

    [Fact]
    public void KillAndResume_ShuffledExamplesOfAModelBuiltInCode_EndsWithTheSameWeightsBitForBit()
    {
        // A classifier with dropout, on shuffled examples: the epoch order, the dropout masks and Adam's buffers all resume.
        var data = new RandomSource(3);
        var inputs = new float[60 * 5];
        var labels = new float[60];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = data.NextInt(6);
        for (int e = 0; e < labels.Length; e++)
            labels[e] = inputs[e * 5] % 2;
        static SequentialModel Build()
        {
            var set = new ParameterSet();
            var random = new RandomSource(7);
            return new SequentialModel(new Sequential(
                    TimeEmbedding.Create(set, "embed", 6, 4, random),
                    new TimeDropout(0.2f, random, 4),
                    TimeLSTM.Create(set, "lstm", 4, 6, random, returnSequences: false),
                    TimeAffine.Create(set, "affine", 6, 2, random)),
                new TimeSoftmaxWithLoss(), set, random);
        }
        ExampleBatches Batches() => new(inputs, labels, 60, 5, batchSize: 8, seed: 9);
        var options = new TrainerOptions(CheckpointInterval: 4);

        var uninterrupted = Build();
        new Trainer(uninterrupted, new Adam(0.01f), options).Fit(Batches(), epochs: 3);

        string path = Path.Combine(_dir, "run.safetensors");
        var first = Build();
        var optimizer = new Adam(0.01f);
        var trainer = new Trainer(first, optimizer, options);
        trainer.CheckpointDue += position =>
        {
            Checkpoint.Save(path, first, optimizer: optimizer, position: position);
            if (position.Step >= 11)
                throw new Killed();
        };
        Assert.Throws<Killed>(() => trainer.Fit(Batches(), epochs: 3));

        var resumedOptimizer = new Adam(0.01f);
        var (resumed, vocabulary, start) = Checkpoint.LoadTraining(path, resumedOptimizer, Build());
        Assert.Null(vocabulary);
        Assert.Equal(12, start.Step);
        new Trainer(resumed, resumedOptimizer, options).Fit(Batches(), epochs: 3, resume: start);
        Assert.True(uninterrupted.Parameters.Values.AsSpan().SequenceEqual(resumed.Parameters.Values),
            "a resumed run must end with the weights of the uninterrupted one");
    }

    [Fact]
    public void Fit_LossBecomesNaN_StopsAndTheLastGoodCheckpointLoads()
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var corpus = SyntheticLanguage.Generate(3000, seed: 1);
        var model = new Rnnlm(new RnnlmConfig(vocabulary.Count, 8, 8), seed: 5);
        var optimizer = new Sgd(1f);
        var trainer = new Trainer(model, optimizer, new TrainerOptions(BatchSize: 4, TimeSteps: 10));
        string path = Path.Combine(_dir, "run.safetensors");
        trainer.CheckpointDue += position =>
        {
            Checkpoint.Save(path, model, vocabulary, optimizer, position);
            model.Parameters["affine.b"].Value[0] = float.NaN; // the next epoch diverges
        };

        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(corpus, epochs: 3));
        Assert.Contains("epoch 2", e.Message);
        var (saved, _, position) = Checkpoint.LoadTraining(path, new Sgd(1f));
        Assert.Equal(2, position.Epoch);
        Assert.All(saved.Parameters.Values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Fit_ResumedWithAnotherBatchShape_IsRefused()
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var corpus = SyntheticLanguage.Generate(3000, seed: 1);
        var model = new Rnnlm(new RnnlmConfig(vocabulary.Count, 4, 4), seed: 5);
        TrainingPosition? saved = null;
        var trainer = new Trainer(model, new Sgd(1f), new TrainerOptions(BatchSize: 4, TimeSteps: 10, CheckpointInterval: 2));
        trainer.CheckpointDue += position => saved ??= position;
        trainer.Fit(corpus, epochs: 1, maxSteps: 4);
        Assert.Equal(new Lstm.Layers.SequenceShape(4, 10), saved!.Batch);
        var other = new Trainer(model, new Sgd(1f), new TrainerOptions(BatchSize: 5, TimeSteps: 10));
        Assert.Equal("resume", Assert.Throws<ArgumentException>(() => other.Fit(corpus, epochs: 1, resume: saved)).ParamName);
    }

    [Fact]
    public void LoadTraining_OtherOptimizerOrNoState_SaysSo()
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var model = new Rnnlm(new RnnlmConfig(vocabulary.Count, 4, 4));
        string path = Path.Combine(_dir, "model.safetensors");
        Checkpoint.Save(path, model, vocabulary);
        Assert.Contains("no training state", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadTraining(path, new Sgd(1f))).Message);

        var position = new TrainingPosition(1, 1, 1, 10, double.PositiveInfinity, 0.01f, 1, (1, 2, 3, 4), [null], new Lstm.Layers.SequenceShape(4, 10));
        Checkpoint.Save(path, model, vocabulary, new Adam(), position);
        Assert.Contains("Adam", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadTraining(path, new Sgd(1f))).Message);
    }
}
