using System.CommandLine;
using Lstm.Data;
using Lstm.IO;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Cli.Commands;

/// <summary><c>lstm eval</c> and <c>lstm generate</c>: use a saved checkpoint.</summary>
internal static class ModelCommands
{
    public static Command CreateEval()
    {
        var model = new Option<string>("--model") { Description = "A checkpoint saved by lstm train --save, or a PyTorch state dict (safetensors).", Required = true };
        var data = new Option<string>("--data") { Description = "A text file in the training format (words, one sentence per line).", Required = true };
        var vocabFrom = VocabFrom();
        var precision = OptionRules.PrecisionOption("Evaluate with the weights rounded to bf16 or int8 (per-row scales): what generate --precision computes with.");
        var command = new Command("eval", "Perplexity of a saved model on a text file (the book's evaluation: batch 10, T 35; one sequence for a shorter file).") { model, data, vocabFrom, precision };
        command.SetAction(r =>
        {
            var (rnnlm, vocabulary) = ModelFiles.Load(r.GetValue(model)!, r.GetValue(vocabFrom));
            rnnlm.RoundWeights(OptionRules.Precision(r.GetValue(precision)!));
            var corpus = Corpus.Read(r.GetValue(data)!, vocabulary, grow: false);
            const int BookBatch = 10, BookTime = 35;
            if (corpus.Length - 1 >= BookBatch * BookTime)
            {
                Console.WriteLine($"perplexity: {Evaluation.Perplexity(rnnlm, corpus, BookBatch, BookTime):F2}");
                return 0;
            }
            // Shorter than one of the book's windows: one sequence over every token instead.
            if (corpus.Length < 2)
                throw new InvalidDataException($"{r.GetValue(data)} has {corpus.Length} token{(corpus.Length == 1 ? "" : "s")}; a perplexity needs at least 2.");
            Console.WriteLine($"perplexity: {Evaluation.Perplexity(rnnlm, corpus, 1, corpus.Length - 1):F2} " +
                $"({corpus.Length - 1} predicted token{(corpus.Length == 2 ? "" : "s")} in one sequence: the file is shorter than the book's {BookBatch}×{BookTime} window)");
            return 0;
        });
        return command;
    }

    public static Command CreateExport()
    {
        var model = new Option<string>("--model") { Description = "A checkpoint saved by lstm train --save.", Required = true };
        var format = new Option<string>("--format") { Description = "torch: PyTorch's word-language-model layout.", Required = true };
        format.AcceptOnlyFromAmong("torch");
        var output = new Option<string>("--out") { Description = "The safetensors file to write.", Required = true };
        var command = new Command("export", "Write a model's weights for another framework.") { model, format, output };
        command.SetAction(r =>
        {
            var (rnnlm, _) = ModelFiles.LanguageModel(r.GetValue(model)!, Checkpoint.Load(r.GetValue(model)!));
            SafeTensors.Write(r.GetValue(output)!, TorchStateDict.Export(rnnlm), new Dictionary<string, string> { ["format"] = "pt" });
            Console.WriteLine($"wrote {r.GetValue(output)}");
            return 0;
        });
        return command;
    }

    public static Option<string?> VocabFrom() => new("--vocab-from")
    {
        Description = "For a PyTorch state dict: the corpus file its ids come from (ids in order of first appearance, <eos> at line ends).",
    };

    public static Command CreateGenerate()
    {
        var model = new Option<string>("--model") { Description = "A checkpoint saved by lstm train --save, or a PyTorch state dict (safetensors).", Required = true };
        var vocabFrom = VocabFrom();
        var prompt = new Option<string?>("--prompt") { Description = "Text to start from (words, or characters for a character model; default: a sentence start)." };
        var length = new Option<int>("--length") { Description = "Words to generate.", DefaultValueFactory = _ => 100 }.AtLeast(0);
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature; 0 takes the most likely word.", DefaultValueFactory = _ => 1f }.AtLeast(0f);
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most likely words (0: all).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var topP = new Option<float>("--top-p") { Description = "Sample among the most likely words covering probability P, in (0, 1].", DefaultValueFactory = _ => 1f }
            .Require(v => v > 0f && v <= 1f, "in (0, 1]");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling.", DefaultValueFactory = _ => 1 };
        var precision = OptionRules.PrecisionOption("Generate with copies of the weights in bf16 or int8 (per-row scales): fewer bytes read per token.");
        var command = new Command("generate", "Generate text from a saved model, streaming words as they are sampled.")
        {
            model, vocabFrom, prompt, length, temperature, topK, topP, seed, precision,
        };
        command.SetAction(r =>
        {
            var (rnnlm, vocabulary) = ModelFiles.Load(r.GetValue(model)!, r.GetValue(vocabFrom));
            rnnlm.SetInferencePrecision(OptionRules.Precision(r.GetValue(precision)!));
            bool characters = vocabulary.Level == TokenLevel.Character;
            string text = r.GetValue(prompt) ?? (characters ? "\n" : Vocabulary.EndOfSentence);
            int[] start;
            if (characters)
            {
                start = Corpus.Characters(text, vocabulary, grow: false, "the prompt");
                Console.Write(text);
            }
            else
            {
                // Parse ends the prompt with <eos>; keep it only when the prompt is just a sentence start.
                var ids = Corpus.Parse([text], vocabulary, grow: false, "the prompt");
                start = ids.Length > 1 ? ids[..^1] : ids;
            }
            var options = new SamplingOptions(r.GetValue(temperature), r.GetValue(topK), r.GetValue(topP));
            foreach (int id in TextGenerator.Generate(rnnlm, start, r.GetValue(length), options, new RandomSource(r.GetValue(seed))))
            {
                string token = vocabulary[id];
                Console.Write(characters ? token : token == Vocabulary.EndOfSentence ? Environment.NewLine : token + " ");
            }
            Console.WriteLine();
            return 0;
        });
        return command;
    }
}
