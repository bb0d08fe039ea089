using Lstm.Data;
using Lstm.IO;
using Lstm.Models;

namespace Lstm.Cli.Commands;

/// <summary>Opens a model file: a checkpoint of this library, or a PyTorch state dict with its vocabulary rebuilt from a corpus.</summary>
internal static class ModelFiles
{
    public static (Rnnlm Model, Vocabulary Vocabulary) Load(string path, string? vocabFrom)
    {
        bool torch;
        using (var file = SafeTensorsFile.Open(path))
            torch = file.Find("encoder.weight") is not null;
        if (!torch)
            return LanguageModel(path, Checkpoint.Load(path));
        if (vocabFrom is null)
            throw new ArgumentException($"{path} is a PyTorch state dict, which has no vocabulary: give --vocab-from FILE (the corpus its ids were made from).");
        var vocabulary = new Vocabulary();
        Corpus.Read(vocabFrom, vocabulary, grow: true);
        var model = TorchStateDict.Import(SafeTensors.Read(path).Tensors);
        if (vocabulary.Count != model.Config.VocabularySize)
            throw new InvalidDataException($"{vocabFrom} gives a vocabulary of {vocabulary.Count} words; {path} has {model.Config.VocabularySize}.");
        return (model, vocabulary);
    }

    /// <summary>The language model and vocabulary of a loaded checkpoint; the commands work with text.</summary>
    public static (Rnnlm Model, Vocabulary Vocabulary) LanguageModel(string path, (Model Model, Vocabulary? Vocabulary) loaded) =>
        loaded is (Rnnlm model, { } vocabulary)
            ? (model, vocabulary)
            : throw new InvalidDataException($"{path} holds a {loaded.Model.Kind ?? "custom"} model{(loaded.Vocabulary is null ? " without a vocabulary" : "")}; this command needs a language model.");
}
