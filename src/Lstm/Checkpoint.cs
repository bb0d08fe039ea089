using System.Globalization;
using Lstm.Data;
using Lstm.IO;
using Lstm.Models;
using Lstm.Training;

namespace Lstm;

/// <summary>
/// A trained <see cref="Rnnlm"/> and its vocabulary in one safetensors file: every parameter as an F32 tensor under
/// its <see cref="Parameter.Name"/> (vectors as 1-D), the model's shape and the vocabulary in <c>__metadata__</c>.
/// </summary>
public static class Checkpoint
{
    private const string Format = "lstm.rnnlm/1";

    /// <summary>
    /// Saves <paramref name="model"/> and <paramref name="vocabulary"/> to <paramref name="path"/>, atomically; with
    /// <paramref name="optimizer"/> and <paramref name="position"/>, also what <see cref="LoadTraining"/> needs to resume
    /// the run exactly (optimizer buffers as <c>optimizer.*</c> tensors, recurrent states as <c>state.*</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary does not have one word per id of the model.</exception>
    public static void Save(string path, Rnnlm model, Vocabulary vocabulary, Optimizer? optimizer = null, TrainingPosition? position = null)
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
        if (optimizer is not null && position is not null)
        {
            foreach (var (name, values) in optimizer.State)
                tensors.Add(new NamedTensor($"optimizer.{name}", [values.Length], values));
            for (int l = 0; l < position.RecurrentState.Length; l++)
                tensors.Add(new NamedTensor($"state.{l}", [position.RecurrentState[l].Length], position.RecurrentState[l]));
            var (s0, s1, s2, s3) = position.RandomState;
            metadata["optimizer"] = optimizer.GetType().Name;
            metadata["training"] = string.Join(' ', new[]
            {
                Invariant(position.Step), Invariant(position.Epoch), Invariant(position.Iteration), Invariant(position.TimeIndex),
                position.BestValidation.ToString("R", CultureInfo.InvariantCulture), position.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                Invariant(position.OptimizerSteps), Invariant(s0), Invariant(s1), Invariant(s2), Invariant(s3),
            });
        }
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Loads a checkpoint saved with an optimizer and a position, restores <paramref name="optimizer"/>'s buffers, and
    /// returns the position to pass to <see cref="Trainer.Fit"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has no training state, or it was saved with another optimizer.</exception>
    public static (Rnnlm Model, Vocabulary Vocabulary, TrainingPosition Position) LoadTraining(string path, Optimizer optimizer)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        string file = Path.GetFileName(path);
        if (!metadata.TryGetValue("training", out var training) || !metadata.TryGetValue("optimizer", out var optimizerName))
            throw new InvalidDataException($"{file}: no training state to resume from (saved without an optimizer).");
        if (optimizerName != optimizer.GetType().Name)
            throw new InvalidDataException($"{file}: saved with the {optimizerName} optimizer; resuming needs the same, not {optimizer.GetType().Name}.");
        var (model, vocabulary) = FromTensors(file, tensors.Where(t => !t.Name.StartsWith("optimizer.", StringComparison.Ordinal) && !t.Name.StartsWith("state.", StringComparison.Ordinal)).ToList(), metadata);
        foreach (var tensor in tensors.Where(t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal)))
        {
            if (tensor.Data.Length != model.Parameters.Values.Length)
                throw new InvalidDataException($"{file}: tensor '{tensor.Name}' has {tensor.Data.Length} values; the model has {model.Parameters.Values.Length} parameters.");
            optimizer.RestoreState(tensor.Name["optimizer.".Length..], tensor.Data.Span);
        }
        var states = Enumerable.Range(0, model.Config.Layers)
            .Select(l => tensors.FirstOrDefault(t => t.Name == $"state.{l}")?.Data.ToArray()
                ?? throw new InvalidDataException($"{file}: tensor 'state.{l}' is missing."))
            .ToArray();
        try
        {
            var f = training.Split(' ');
            var position = new TrainingPosition(
                long.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture),
                double.Parse(f[4], CultureInfo.InvariantCulture), float.Parse(f[5], CultureInfo.InvariantCulture),
                long.Parse(f[6], CultureInfo.InvariantCulture),
                (uint.Parse(f[7], CultureInfo.InvariantCulture), uint.Parse(f[8], CultureInfo.InvariantCulture),
                 uint.Parse(f[9], CultureInfo.InvariantCulture), uint.Parse(f[10], CultureInfo.InvariantCulture)),
                states);
            return (model, vocabulary, position);
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{file}: the training state in the metadata is invalid ({e.Message}).", e);
        }
    }

    /// <summary>Loads a model and its vocabulary saved by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or its tensors do not fit the model it describes; the message names the tensor.</exception>
    public static (Rnnlm Model, Vocabulary Vocabulary) Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        return FromTensors(Path.GetFileName(path), tensors.Where(t => !t.Name.StartsWith("optimizer.", StringComparison.Ordinal) && !t.Name.StartsWith("state.", StringComparison.Ordinal)).ToList(), metadata);
    }

    private static (Rnnlm Model, Vocabulary Vocabulary) FromTensors(string file, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
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

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
