using System.Globalization;
using Lstm.Data;
using Lstm.IO;
using Lstm.Models;

namespace Lstm;

/// <summary>
/// A trained <see cref="Rnnlm"/> and its vocabulary in one safetensors file: every parameter as an F32 tensor under
/// its <see cref="Parameter.Name"/> (vectors as 1-D), the model's shape and the vocabulary in <c>__metadata__</c>.
/// </summary>
public static class Checkpoint
{
    private const string Format = "lstm.rnnlm/1";

    /// <summary>Saves <paramref name="model"/> and <paramref name="vocabulary"/> to <paramref name="path"/>, atomically.</summary>
    /// <exception cref="ArgumentException">The vocabulary does not have one word per id of the model.</exception>
    public static void Save(string path, Rnnlm model, Vocabulary vocabulary)
    {
        var config = model.Config;
        if (vocabulary.Count != config.VocabularySize)
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} words; the model has {config.VocabularySize} ids.", nameof(vocabulary));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["vocabulary_size"] = Invariant(config.VocabularySize),
            ["word_vec_size"] = Invariant(config.WordVecSize),
            ["hidden_size"] = Invariant(config.HiddenSize),
            ["layers"] = Invariant(config.Layers),
            ["dropout"] = config.Dropout.ToString("R", CultureInfo.InvariantCulture),
            ["tie_weights"] = config.TieWeights ? "true" : "false",
            ["cell"] = config.Cell.ToString().ToLowerInvariant(),
            ["vocabulary"] = string.Join('\n', vocabulary.Words),
        };
        var tensors = model.Parameters.Parameters
            .Select(p => new NamedTensor(p.Name, p.Rows == 1 ? [p.Cols] : [p.Rows, p.Cols], p.Set.Values.AsMemory(p.Offset, p.Length)))
            .ToList();
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Loads a model and its vocabulary saved by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or its tensors do not fit the model it describes; the message names the tensor.</exception>
    public static (Rnnlm Model, Vocabulary Vocabulary) Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        string file = Path.GetFileName(path);
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{file}: metadata '{key}' is missing; not a checkpoint of this library ({Format}).");
        if (Get("format") != Format)
            throw new InvalidDataException($"{file}: format '{Get("format")}' is not {Format}.");

        RnnlmConfig config;
        try
        {
            config = new RnnlmConfig(
                int.Parse(Get("vocabulary_size"), CultureInfo.InvariantCulture),
                int.Parse(Get("word_vec_size"), CultureInfo.InvariantCulture),
                int.Parse(Get("hidden_size"), CultureInfo.InvariantCulture),
                int.Parse(Get("layers"), CultureInfo.InvariantCulture),
                float.Parse(Get("dropout"), CultureInfo.InvariantCulture),
                Get("tie_weights") == "true",
                Enum.Parse<RecurrentCell>(Get("cell"), ignoreCase: true));
            config.Validate();
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"{file}: the model configuration in the metadata is invalid ({e.Message}).", e);
        }

        var vocabulary = new Vocabulary(Get("vocabulary").Split('\n'));
        if (vocabulary.Count != config.VocabularySize)
            throw new InvalidDataException($"{file}: the vocabulary has {vocabulary.Count} words; the model has {config.VocabularySize} ids.");

        var model = new Rnnlm(config);
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var parameter in model.Parameters.Parameters)
        {
            if (!byName.Remove(parameter.Name, out var tensor))
                throw new InvalidDataException($"{file}: tensor '{parameter.Name}' is missing.");
            int[] expected = parameter.Rows == 1 ? [parameter.Cols] : [parameter.Rows, parameter.Cols];
            if (!tensor.Shape.SequenceEqual(expected))
                throw new InvalidDataException($"{file}: tensor '{parameter.Name}' has shape [{string.Join(", ", tensor.Shape)}]; the model needs [{string.Join(", ", expected)}].");
            tensor.Data.Span.CopyTo(parameter.Value);
        }
        if (byName.Count > 0)
            throw new InvalidDataException($"{file}: tensor '{byName.Keys.First()}' is not part of the model.");
        return (model, vocabulary);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
