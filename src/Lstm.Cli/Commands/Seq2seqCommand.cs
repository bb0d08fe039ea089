using System.CommandLine;
using System.Diagnostics;
using Lstm.Data;
using Lstm.IO;
using Lstm.Kernels;
using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Cli.Commands;

/// <summary><c>lstm seq2seq train|predict</c>: the book's encoder–decoders on question–answer files (chapters 7–8).</summary>
internal static class Seq2seqCommand
{
    /// <summary>The models <c>--model</c> names, as the book does.</summary>
    private enum ModelName
    {
        Seq2seq,
        Peeky,
        Attention,
    }

    /// <summary>A usage error, before anything is allocated, when the model and its batches would not fit in memory.</summary>
    private static void RequireMemory(Seq2seqConfig config, int batch)
    {
        int D = config.EmbeddingSize, H = config.HiddenSize, V = config.VocabularySize;
        // Per row of the encoder and the decoder, at most: the input, the LSTM's projection, gates, h and c, the affine input, the scores and their gradient.
        double perRow = D + (2.0 * H) + (8.0 * H) + (4.0 * H) + (2.0 * H) + (2.0 * V);
        OptionRules.RequireMemory(config.CountParameters, optimizerBuffers: 2, (long)batch * (config.QuestionLength + config.AnswerLength), perRow, Math.Max(V, 4L * H),
            $"--embed {D} --hidden {H} (vocabulary {V})", $"--batch {batch}");
    }

    public static Command Create() => new("seq2seq", "Encoder–decoder models on question_answer files (the book's addition.txt, date.txt).")
    {
        CreateTrain(),
        CreatePredict(),
    };

    private static Command CreateTrain()
    {
        var data = new Option<string>("--data") { Description = "A file of questions and answers, one per line, the answer from its '_' (the book's format).", Required = true };
        var model = new Option<ModelName>("--model") { Description = "seq2seq (the book's Seq2seq), peeky or attention.", DefaultValueFactory = _ => ModelName.Seq2seq };
        var reverse = new Option<bool>("--reverse") { Description = "Read every question backwards, as the book does (the saved model remembers it)." };
        var embed = new Option<int>("--embed") { Description = "D, the embedding width.", DefaultValueFactory = _ => 16 }.AtLeast(1);
        var hidden = new Option<int?>("--hidden") { Description = "H, the LSTM width (128; attention 256)." }.AtLeast(1);
        var batch = new Option<int>("--batch") { Description = "N, examples per batch.", DefaultValueFactory = _ => 128 }.AtLeast(1);
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 25 }.AtLeast(1);
        var lr = new Option<float>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => 0.001f }.Require(v => v > 0f && float.IsFinite(v), "a positive number");
        var clip = new Option<float>("--clip") { Description = "Clip gradients to this global norm (0: off).", DefaultValueFactory = _ => 5f }.AtLeast(0f);
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation, shuffling and the split.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Threads for matrix products (at most one per processor).", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
        var save = new Option<string?>("--save") { Description = "Save the model with its vocabulary here (safetensors) after the last epoch." };
        var command = new Command("train", "Train an encoder–decoder; after every epoch print its exact-match test accuracy and a few answers.")
        {
            data, model, reverse, embed, hidden, batch, epochs, lr, clip, seed, threads, save,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = OptionRules.Threads(r.GetValue(threads));
            var kind = r.GetValue(model) switch
            {
                ModelName.Peeky => Seq2seqKind.Peeky,
                ModelName.Attention => Seq2seqKind.Attention,
                _ => Seq2seqKind.Plain,
            };
            var set = SequenceDataset.Load(r.GetValue(data)!);
            var config = new Seq2seqConfig(set.Vocabulary.Count, r.GetValue(embed), r.GetValue(hidden) ?? (kind == Seq2seqKind.Attention ? 256 : 128), kind,
                ReverseInput: r.GetValue(reverse), QuestionLength: set.QuestionLength, AnswerLength: set.AnswerLength);
            int N = r.GetValue(batch);
            RequireMemory(config, N);
            var seq2seq = EncoderDecoder.Create(config, r.GetValue(seed));
            Console.WriteLine($"data: {set.TrainCount:N0} training and {set.TestCount:N0} test examples, {set.Vocabulary.Count} characters, " +
                $"questions of {set.QuestionLength}, answers of {set.AnswerLength}{(r.GetValue(reverse) ? ", questions reversed" : "")}");
            Console.WriteLine($"model: {kind} V={config.VocabularySize} D={config.EmbeddingSize} H={config.HiddenSize}, {seq2seq.Parameters.Values.Length:N0} parameters; " +
                $"Adam lr={r.GetValue(lr)}, N={N} clip={r.GetValue(clip)}, {r.GetValue(epochs)} epochs, seed {r.GetValue(seed)}, GEMM {Gemm.BestPath} × {Gemm.Threads} threads on {OptionRules.Processor()}");

            var batches = new ExampleBatches(set.TrainQuestions, set.TrainAnswers, set.TrainCount, set.QuestionLength, N, seed: r.GetValue(seed));
            var trainer = new Trainer(seq2seq, new Adam(r.GetValue(lr)), new TrainerOptions(MaxGradNorm: r.GetValue(clip), ReportInterval: int.MaxValue));
            var clock = Stopwatch.StartNew();
            trainer.EpochEnded += e =>
            {
                double seconds = clock.Elapsed.TotalSeconds;
                double accuracy = Evaluation.ExactMatch(seq2seq, set.TestQuestions, set.QuestionLength, set.TestAnswers, set.AnswerLength);
                Console.WriteLine($"epoch {e.Epoch}: test accuracy {accuracy:P2} (loss {e.TrainLoss:F4}, {seconds:F1} s of training)");
                PrintExamples(seq2seq, set, 3);
                clock.Restart();
            };
            trainer.Fit(batches, r.GetValue(epochs));
            if (r.GetValue(save) is { } path)
            {
                Checkpoint.Save(path, seq2seq, set.Vocabulary);
                Console.WriteLine($"saved {path}");
            }
            return 0;
        });
        return command;
    }

    private static void PrintExamples(EncoderDecoder model, SequenceDataset set, int count)
    {
        int Tq = set.QuestionLength, Ta = set.AnswerLength;
        var ids = model.Generate(set.TestQuestions.AsSpan(0, count * Tq), new SequenceShape(count, Tq), set.StartId, Ta - 1);
        for (int e = 0; e < count; e++)
        {
            var question = set.TestQuestions.AsSpan(e * Tq, Tq);
            string answer = string.Concat(ids.AsSpan(e * (Ta - 1), Ta - 1).ToArray().Select(id => set.Vocabulary[id]));
            string expected = set.Text(set.TestAnswers.AsSpan(e * Ta + 1, Ta - 1));
            Console.WriteLine($"  {set.Text(question)} → {answer} {(answer == expected ? "✓" : $"✗ ({expected})")}");
        }
        model.ResetState();
    }

    private static Command CreatePredict()
    {
        var model = new Option<string>("--model") { Description = "A model saved by lstm seq2seq train --save.", Required = true };
        var input = new Option<string>("--input") { Description = "The question (padded with spaces to the width of the training questions).", Required = true };
        var beam = new Option<int>("--beam") { Description = "Beam width (1: greedy).", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var length = new Option<int?>("--length") { Description = "Characters to decode (default: the training answers' width)." }.AtLeast(1);
        var plot = new Option<string?>("--plot-attention") { Description = "Write the attention weights of the greedy answer as a heat map to this PNG file (attention models)." };
        var command = new Command("predict", "Decode the answer to one question.") { model, input, beam, length, plot };
        command.SetAction(r =>
        {
            var (loaded, vocabulary) = Checkpoint.Load(r.GetValue(model)!);
            if (loaded is not EncoderDecoder seq2seq || vocabulary is null)
                throw new InvalidDataException($"{r.GetValue(model)} is not an encoder–decoder saved with its vocabulary.");
            if (r.GetValue(plot) is not null && seq2seq is not AttentionSeq2seq)
                throw new UsageException("--plot-attention needs an attention model (trained with --model attention).");
            var config = seq2seq.Config;
            string question = r.GetValue(input)!;
            int width = config.QuestionLength, characters = question.EnumerateRunes().Count();
            if (width > 0 && characters > width)
                throw new UsageException($"--input has {characters} characters; the model was trained on questions of {width}.");
            if (width > 0)
                question += new string(' ', width - characters);
            float[] ids;
            try
            {
                ids = [.. Corpus.Characters(question, vocabulary, grow: false, "--input").Select(id => (float)id)];
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message);
            }
            int steps = r.GetValue(length) ?? (config.AnswerLength > 1 ? config.AnswerLength - 1 : 10);
            if (!vocabulary.TryGetId(SequenceDataset.Start, out int start))
                throw new InvalidDataException($"{r.GetValue(model)}: the vocabulary has no start symbol '{SequenceDataset.Start}'.");
            var answer = seq2seq.BeamSearch(ids, start, steps, r.GetValue(beam));
            Console.WriteLine(string.Concat(answer.Select(id => vocabulary[id])));
            if (r.GetValue(plot) is { } path)
            {
                var (greedy, weights) = ((AttentionSeq2seq)seq2seq).GenerateWithAttention(ids, start, steps);
                AttentionPlot.Save(path, question, [.. greedy.Select(id => vocabulary[id])], weights);
                Console.WriteLine($"wrote {path}");
            }
            return 0;
        });
        return command;
    }
}
