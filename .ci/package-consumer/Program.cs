using Lstm.Data;
using Lstm.Models;
using Lstm.Training;

// Trains a small LSTM language model for a few steps through the NuGet package and checks that the loss falls.
var corpus = SyntheticLanguage.Generate(20_000, seed: 1);
var model = new Rnnlm(new RnnlmConfig(SyntheticLanguage.CreateVocabulary().Count, 16, 32), seed: 1);
var losses = new Trainer(model, new Adam(0.01f), new TrainerOptions(BatchSize: 10, TimeSteps: 20, ReportInterval: 10))
    .Fit(corpus, epochs: 1, maxSteps: 60);
Console.WriteLine($"package consumer: loss {losses[0]:F3} -> {losses[^1]:F3}");
return losses[^1] < losses[0] ? 0 : 1;
