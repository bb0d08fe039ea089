using System.CommandLine;
using Lstm.Data;
using Lstm.IO;
using Lstm.Kernels;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Cli.Commands;

/// <summary><c>lstm train</c>: trains a language model from one of the book's recipes and reports perplexity.</summary>
internal static class TrainCommand
{
    /// <summary>The recipes <c>--model</c> names.</summary>
    private enum ModelRecipe
    {
        Rnnlm,
        Better,
    }

    /// <summary>What <c>--level</c> names a token.</summary>
    private enum Level
    {
        Word,
        Char,
    }

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "A folder with ptb.train.txt (ptb.valid.txt, ptb.test.txt optional) or a single text file. Without it: a generated language with long-range dependencies, LSTM against plain RNN." };
        var model = new Option<ModelRecipe>("--model") { Description = "rnnlm (the book's Rnnlm) or better (the book's BetterRnnlm).", DefaultValueFactory = _ => ModelRecipe.Rnnlm };
        var level = new Option<Level>("--level") { Description = "word (whitespace-separated, <eos> at line ends) or char (every character, line ends too).", DefaultValueFactory = _ => Level.Word };
        var heldOut = new Option<double>("--held-out") { Description = "For a single file: the fraction of lines at its end held out, half for validation, half for test (0: none).", DefaultValueFactory = _ => 0.1 }
            .Require(v => v >= 0 && v < 1, "in [0, 1)");
        var minCount = new Option<int>("--min-count") { Description = "Keep the tokens seen at least K times in training; the others become <unk>.", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var maxVocab = new Option<int>("--max-vocab") { Description = "Keep at most N tokens, the most frequent, <unk> included (0: no bound).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var cell = new Option<RecurrentCell?>("--cell") { Description = "lstm (the recipes'), gru (PyTorch's GRU) or rnn." };
        var embed = new Option<int?>("--embed") { Description = "D, the embedding width (rnnlm 100, better 650)." }.AtLeast(1);
        var hidden = new Option<int?>("--hidden") { Description = "H, the LSTM width (rnnlm 100, better 650)." }.AtLeast(1);
        var layers = new Option<int?>("--layers") { Description = "LSTM layers (rnnlm 1, better 2)." }.AtLeast(1);
        var dropout = new Option<float?>("--dropout") { Description = "Dropout ratio in [0, 1) (rnnlm 0, better 0.5)." }.Require(v => v is null || (v >= 0f && v < 1f), "in [0, 1)");
        var tie = new Option<bool?>("--tie-weights") { Description = "Tie the output weight to the embedding (needs D = H; better: on)." };
        var batch = new Option<int?>("--batch") { Description = "N, rows per batch (20)." }.AtLeast(1);
        var time = new Option<int?>("--time") { Description = "T, truncated-BPTT length (35)." }.AtLeast(1);
        var lr = new Option<float?>("--lr") { Description = "Learning rate (sgd 20; adam, adamw 0.001; momentum 1)." }.Positive();
        var clip = new Option<float?>("--clip") { Description = "Clip gradients to this global norm (0.25; 0: off)." }.AtLeast(0f);
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (rnnlm 4, better 40, the generated language 20)." }.AtLeast(1);
        var maxSteps = new Option<long?>("--max-steps") { Description = "Stop after this many iterations." }.AtLeast(1L);
        var optimizer = new Option<OptimizerKind?>("--optimizer") { Description = "sgd (the recipes'), momentum, adam or adamw." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation and dropout.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Threads for matrix products (at most one per processor).", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
        var save = new Option<string?>("--save") { Description = "Save the model here (safetensors): the best by validation perplexity when there is a validation file, else the last." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Keep the whole training state here (every epoch and every --checkpoint-every iterations), for --resume." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Iterations between training checkpoints (0: epoch ends only).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var init = new Option<string?>("--init") { Description = "Start from these weights: a checkpoint, or a PyTorch state dict with --vocab-from." };
        var vocabFrom = ModelCommands.VocabFrom();
        var plot = new Option<string?>("--plot") { Description = "Write the training and validation perplexity curves to this PNG file." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run saved by --checkpoint (same data and optimizer); ends with the weights of an uninterrupted run." };

        var command = new Command("train", "Train a language model (the book's Rnnlm by default) and report perplexity.")
        {
            data, level, heldOut, minCount, maxVocab, model, cell, embed, hidden, layers, dropout, tie, batch, time, lr, clip, epochs, maxSteps, optimizer, seed, threads, save,
            checkpoint, checkpointEvery, resume, init, vocabFrom, plot,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = OptionRules.Threads(r.GetValue(threads));
            if (r.GetValue(data) is null)
                return SyntheticRun.Run(r.GetValue(seed), r.GetValue(epochs));
            var dataset = TextDataset.Load(r.GetValue(data)!, r.GetValue(level) == Level.Char ? TokenLevel.Character : TokenLevel.Word, r.GetValue(heldOut))
                .WithVocabularyLimit(r.GetValue(minCount), r.GetValue(maxVocab));
            int V = dataset.Vocabulary.Count;
            var recipe = r.GetValue(model) == ModelRecipe.Better ? Recipe.BetterRnnlm(V) : Recipe.Rnnlm(V);
            var kind = r.GetValue(optimizer) ?? recipe.Optimizer;
            recipe = recipe with
            {
                Model = recipe.Model with
                {
                    EmbeddingSize = r.GetValue(embed) ?? recipe.Model.EmbeddingSize,
                    HiddenSize = r.GetValue(hidden) ?? recipe.Model.HiddenSize,
                    Layers = r.GetValue(layers) ?? recipe.Model.Layers,
                    Dropout = r.GetValue(dropout) ?? recipe.Model.Dropout,
                    TieWeights = r.GetValue(tie) ?? recipe.Model.TieWeights,
                    Cell = r.GetValue(cell) ?? recipe.Model.Cell,
                },
                Optimizer = kind,
                LearningRate = r.GetValue(lr) ?? (kind == recipe.Optimizer ? recipe.LearningRate : Recipe.DefaultLearningRate(kind)),
                Options = recipe.Options with
                {
                    // Three times the loss of a uniform guess over the vocabulary: far above anything a training run reports.
                    MaxLoss = 3f * MathF.Log(Math.Max(V, 2)),
                    BatchSize = r.GetValue(batch) ?? recipe.Options.BatchSize,
                    TimeSteps = r.GetValue(time) ?? recipe.Options.TimeSteps,
                    MaxGradNorm = r.GetValue(clip) ?? recipe.Options.MaxGradNorm,
                    CheckpointInterval = r.GetValue(checkpointEvery),
                },
                Epochs = r.GetValue(epochs) ?? recipe.Epochs,
            };
            try
            {
                recipe.Model.Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            var files = new RunFiles(r.GetValue(save), r.GetValue(checkpoint), r.GetValue(resume), r.GetValue(init), r.GetValue(vocabFrom), r.GetValue(plot));
            var given = new Given(r.GetValue(embed), r.GetValue(hidden), r.GetValue(layers), r.GetValue(dropout), r.GetValue(tie), r.GetValue(cell),
                r.GetValue(lr), r.GetValue(batch), r.GetValue(time));
            return Run(dataset, recipe, r.GetValue(maxSteps) ?? long.MaxValue, r.GetValue(seed), files, given);
        });
        return command;
    }

    private sealed record RunFiles(string? Save, string? Checkpoint, string? Resume, string? Init, string? VocabFrom, string? Plot);

    /// <summary>The settings given on the command line (null: the recipe's), which a resumed run must not change.</summary>
    private sealed record Given(int? Embed, int? Hidden, int? Layers, float? Dropout, bool? Tie, RecurrentCell? Cell, float? Lr, int? Batch, int? Time);

    /// <summary>A resumed run continues with its own shape, batches and learning rate: a flag that says otherwise is a usage error.</summary>
    private static void CheckResume(Given given, RnnlmConfig saved, TrainingPosition position)
    {
        static void Same<T>(string flag, T? value, T actual, string name)
            where T : struct
        {
            if (value is { } v && !EqualityComparer<T>.Default.Equals(v, actual))
                throw new UsageException($"{flag} {v} does not match the run being resumed ({name} = {actual}); leave it out to continue that run.");
        }
        Same("--embed", given.Embed, saved.EmbeddingSize, "D");
        Same("--hidden", given.Hidden, saved.HiddenSize, "H");
        Same("--layers", given.Layers, saved.Layers, "layers");
        Same("--dropout", given.Dropout, saved.Dropout, "dropout");
        Same("--tie-weights", given.Tie, saved.TieWeights, "tied");
        Same("--cell", given.Cell, saved.Cell, "cell");
        Same("--batch", given.Batch, position.Batch.BatchSize, "N");
        Same("--time", given.Time, position.Batch.TimeSteps, "T");
        if (given.Lr is { } lr)
            throw new UsageException($"--lr {lr} cannot change a resumed run, which continues at its own learning rate ({position.LearningRate}); leave it out.");
    }

    /// <summary>A usage error, before anything is allocated, when the model and its batches would not fit in memory.</summary>
    private static void RequireMemory(RnnlmConfig config, TrainerOptions options, Optimizer optimizer)
    {
        int D = config.EmbeddingSize, H = config.HiddenSize, V = config.VocabularySize;
        int gates = config.Cell switch { RecurrentCell.Lstm => 4, RecurrentCell.Gru => 3, _ => 1 };
        // Kept for the backward pass, per row: the embedding, each layer's projection, gates, h, c and masks, the scores and their gradient.
        double perRow = D + (config.Layers * ((2.0 * gates * H) + (4.0 * H))) + (2.0 * V);
        OptionRules.RequireMemory(config.CountParameters, optimizer.StateNames.Count, (long)options.BatchSize * options.TimeSteps, perRow, Math.Max(V, (long)gates * H),
            $"--embed {D} --hidden {H} --layers {config.Layers} (vocabulary {V:N0})", $"--batch {options.BatchSize} --time {options.TimeSteps}");
    }

    private static int Run(TextDataset dataset, Recipe recipe, long maxSteps, ulong seed, RunFiles files, Given given)
    {
        var config = recipe.Model;
        var optimizer = recipe.CreateOptimizer();
        var options = recipe.Options;
        RequireMemory(config, options, optimizer);
        var model = new Rnnlm(config, seed);
        TrainingPosition? position = null;
        if (files.Init is not null)
        {
            Vocabulary vocabulary;
            (model, vocabulary) = ModelFiles.Load(files.Init, files.VocabFrom);
            if (!vocabulary.Words.SequenceEqual(dataset.Vocabulary.Words))
                throw new InvalidDataException($"{files.Init} has another vocabulary than {dataset.Vocabulary.Count} words of this corpus (ids must mean the same words).");
            config = model.Config;
            Console.WriteLine($"initial weights from {files.Init}");
        }
        if (files.Resume is not null)
        {
            var (loaded, words, resumed) = Checkpoint.LoadTraining(files.Resume, optimizer);
            var (lm, vocabulary) = ModelFiles.LanguageModel(files.Resume, (loaded, words));
            (model, position) = (lm, resumed);
            CheckResume(given, lm.Config, resumed);
            options = options with { BatchSize = resumed.Batch.BatchSize, TimeSteps = resumed.Batch.TimeSteps };
            if (!vocabulary.Words.SequenceEqual(dataset.Vocabulary.Words))
                throw new InvalidDataException($"{files.Resume} was trained on another corpus (its vocabulary differs from this one's).");
            config = model.Config;
            Console.WriteLine($"resuming {files.Resume} at step {position.Step} (epoch {position.Epoch}, iteration {position.Iteration})");
        }
        Console.WriteLine($"corpus: {dataset.Train.Length:N0} training tokens, vocabulary {dataset.Vocabulary.Count:N0}" +
            (dataset.Validation is null ? "" : $", validation {dataset.Validation.Length:N0}") +
            (dataset.Test is null ? "" : $", test {dataset.Test.Length:N0}"));
        Console.WriteLine($"model: {config.Cell} V={config.VocabularySize} D={config.EmbeddingSize} H={config.HiddenSize} layers={config.Layers} " +
            $"dropout={config.Dropout} tied={config.TieWeights}, {model.Parameters.Values.Length:N0} parameters; " +
            $"{optimizer.GetType().Name} lr={optimizer.LearningRate}, N={options.BatchSize} T={options.TimeSteps} clip={options.MaxGradNorm}, " +
            $"{recipe.Epochs} epochs, seed {seed}, GEMM {Gemm.BestPath} × {Gemm.Threads} threads on {OptionRules.Processor()}");

        var trainer = new Trainer(model, optimizer, options);
        var display = new TrainingDisplay();
        trainer.EpochEnded += e =>
        {
            if (files.Save is not null && e.Improved)
            {
                Checkpoint.Save(files.Save, model, dataset.Vocabulary);
                display.Print($"saved {files.Save}");
            }
        };
        if (files.Checkpoint is not null)
            trainer.CheckpointDue += p => Checkpoint.Save(files.Checkpoint, model, dataset.Vocabulary, optimizer, p);
        var start = DateTime.UtcNow;
        display.Run(trainer, () => trainer.Fit(dataset.Train, recipe.Epochs, maxSteps, dataset.Validation, position));
        Console.WriteLine($"training time: {(DateTime.UtcNow - start).TotalSeconds:F0} s");
        double? test = dataset.Test is null ? null : Evaluation.Perplexity(model, dataset.Test);
        if (test is not null)
            Console.WriteLine($"test perplexity: {test:F2}");
        if (files.Plot is not null)
        {
            display.SavePlot(files.Plot, $"{config.Cell} language model, D={config.EmbeddingSize} H={config.HiddenSize} layers={config.Layers}", test);
            Console.WriteLine($"wrote {files.Plot}");
        }
        return 0;
    }
}
