using System.Globalization;
using System.Text.Json;
using Lstm.Data;
using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.IO;

/// <summary>
/// A model in one safetensors file: every parameter as an F32 tensor under its <see cref="Parameter.Name"/> (vectors
/// as 1-D); in <c>__metadata__</c> the model's <see cref="Model.Kind"/> and <see cref="Model.Configuration"/> (JSON), so
/// <see cref="Load"/> rebuilds the right model, and the vocabulary when there is one. A training checkpoint adds the
/// optimizer's buffers (<c>optimizer.*</c>), the recurrent states (<c>state.{l}.h</c>, <c>state.{l}.c</c>) and the
/// <see cref="TrainingPosition"/> as JSON.
/// </summary>
/// <remarks>Files written before the model kind existed (<c>lstm.rnnlm/1</c>, language models only) still load.</remarks>
public static class Checkpoint
{
    private const string Format = "lstm.model/2", FormatV1 = "lstm.rnnlm/1";

    /// <summary>
    /// Saves <paramref name="model"/> (and <paramref name="vocabulary"/>, when given) to <paramref name="path"/>,
    /// atomically; with <paramref name="optimizer"/> and <paramref name="position"/>, also what <see cref="LoadTraining"/>
    /// needs to resume the run exactly.
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary does not have one word per id of the model's input.</exception>
    public static void Save(string path, Model model, Vocabulary? vocabulary = null, Optimizer? optimizer = null, TrainingPosition? position = null)
    {
        if (vocabulary is not null && model is Rnnlm lm && vocabulary.Count != lm.Config.VocabularySize)
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} words; the model has {lm.Config.VocabularySize} ids.", nameof(vocabulary));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["kind"] = model.Kind ?? "",
            ["config"] = model.Configuration,
        };
        if (vocabulary is not null)
        {
            metadata["vocabulary"] = JsonSerializer.Serialize(vocabulary.Words.ToArray(), LstmJson.Default.StringArray);
            metadata["token_level"] = vocabulary.Level == TokenLevel.Character ? "character" : "word";
        }
        var tensors = model.Parameters.Parameters
            .Select(p => new NamedTensor(p.Name, p.Rows == 1 ? [p.Cols] : [p.Rows, p.Cols], p.Set.Values.AsMemory(p.Offset, p.Length)))
            .ToList();
        if (optimizer is not null && position is not null)
        {
            foreach (var (name, values) in optimizer.State)
                tensors.Add(new NamedTensor($"optimizer.{name}", [values.Length], values));
            for (int l = 0; l < position.RecurrentState.Length; l++)
            {
                if (position.RecurrentState[l] is not { } state)
                    continue;
                tensors.Add(new NamedTensor($"state.{l}.h", [state.H.Length], state.H));
                if (state.C.Length > 0)
                    tensors.Add(new NamedTensor($"state.{l}.c", [state.C.Length], state.C));
            }
            var (s0, s1, s2, s3) = position.RandomState;
            metadata["optimizer"] = optimizer.GetType().Name;
            metadata["training"] = JsonSerializer.Serialize(new TrainingPositionJson(position.Step, position.Epoch, position.Iteration,
                position.BatchPosition, position.BestValidationLoss, position.LearningRate, position.OptimizerSteps, [s0, s1, s2, s3],
                position.Batch.BatchSize, position.Batch.TimeSteps),
                LstmJson.Default.TrainingPositionJson);
        }
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>Loads a model (and its vocabulary, when it was saved with one) saved by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged, its kind of model is not one this library builds (load it with <see cref="LoadInto"/>), or its
    /// tensors do not fit the model it describes; the message names the tensor.
    /// </exception>
    public static (Model Model, Vocabulary? Vocabulary) Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        string file = Path.GetFileName(path);
        var model = Build(file, metadata);
        CopyParameters(file, tensors, model);
        return (model, ReadVocabulary(file, metadata, model));
    }

    /// <summary>
    /// Copies the parameters saved in <paramref name="path"/> into <paramref name="model"/>, by name, for a model that its
    /// own code builds; returns the vocabulary, when the file has one.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or a tensor is missing, extra, or of another shape than the parameter.</exception>
    public static Vocabulary? LoadInto(string path, Model model)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        string file = Path.GetFileName(path);
        CopyParameters(file, tensors, model);
        return ReadVocabulary(file, metadata, model);
    }

    /// <summary>
    /// Loads a checkpoint saved with an optimizer and a position, restores <paramref name="optimizer"/>'s buffers, and
    /// returns the position to pass to <see cref="Trainer.Fit(IBatchSource, int, long, IBatchSource, TrainingPosition)"/>.
    /// The model is rebuilt from the file, or, for a model built in code, loaded into <paramref name="model"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has no training state, was saved with another optimizer, or its state is damaged.</exception>
    public static (Model Model, Vocabulary? Vocabulary, TrainingPosition Position) LoadTraining(string path, Optimizer optimizer, Model? model = null)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        string file = Path.GetFileName(path);
        if (!metadata.TryGetValue("training", out var training) || !metadata.TryGetValue("optimizer", out var optimizerName))
            throw new InvalidDataException($"{file}: no training state to resume from (saved without an optimizer).");
        if (metadata.GetValueOrDefault("format") != Format)
            throw new InvalidDataException($"{file}: written in the older format {FormatV1}; its model loads, but its training state cannot be resumed.");
        if (optimizerName != optimizer.GetType().Name)
            throw new InvalidDataException($"{file}: saved with the {optimizerName} optimizer; resuming needs the same, not {optimizer.GetType().Name}.");
        model ??= Build(file, metadata);
        CopyParameters(file, tensors, model);
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var tensor in tensors.Where(t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal)))
        {
            if (tensor.Data.Length != model.Parameters.Values.Length)
                throw new InvalidDataException($"{file}: tensor '{tensor.Name}' has {tensor.Data.Length} values; the model has {model.Parameters.Values.Length} parameters.");
            optimizer.RestoreState(tensor.Name["optimizer.".Length..], tensor.Data.Span);
        }
        var states = new RecurrentState?[model.RecurrentLayers.Count];
        for (int l = 0; l < states.Length; l++)
        {
            if (byName.TryGetValue($"state.{l}.h", out var h))
                states[l] = new RecurrentState(h.Data.ToArray(), byName.TryGetValue($"state.{l}.c", out var c) ? c.Data.ToArray() : []);
        }

        TrainingPositionJson? json;
        try
        {
            json = JsonSerializer.Deserialize(training, LstmJson.Default.TrainingPositionJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: the training state in the metadata is invalid ({e.Message}).", e);
        }
        if (json is null || json.RandomState.Length != 4)
            throw new InvalidDataException($"{file}: the training state in the metadata is invalid (no random state of four words).");
        var r = json.RandomState;
        var position = new TrainingPosition(json.Step, json.Epoch, json.Iteration, json.BatchPosition, json.BestValidationLoss,
            json.LearningRate, json.OptimizerSteps, (r[0], r[1], r[2], r[3]), states, new SequenceShape(json.BatchSize, json.TimeSteps));
        return (model, ReadVocabulary(file, metadata, model), position);
    }

    /// <summary>The model the metadata describes, before its parameters are read.</summary>
    private static Model Build(string file, IReadOnlyDictionary<string, string> metadata)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{file}: metadata '{key}' is missing; not a checkpoint of this library ({Format}).");
        string format = Get("format");
        try
        {
            if (format == FormatV1)
                return new Rnnlm(ConfigV1(Get));
            if (format != Format)
                throw new InvalidDataException($"{file}: format '{format}' is not {Format}.");
            return Get("kind") switch
            {
                "rnnlm" => new Rnnlm(RnnlmConfig.FromJson(Get("config"))),
                "seq2seq" => EncoderDecoder.Create(Seq2seqConfig.FromJson(Get("config"))),
                "" => throw new InvalidDataException($"{file}: the model was saved without a kind; build it in code and use Checkpoint.LoadInto."),
                var kind => throw new InvalidDataException($"{file}: model kind '{kind}' is not one this library builds; build it in code and use Checkpoint.LoadInto."),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"{file}: the model configuration in the metadata is invalid ({e.Message}).", e);
        }
    }

    private static RnnlmConfig ConfigV1(Func<string, string> get) => new(
        int.Parse(get("vocabulary_size"), CultureInfo.InvariantCulture),
        int.Parse(get("word_vec_size"), CultureInfo.InvariantCulture),
        int.Parse(get("hidden_size"), CultureInfo.InvariantCulture),
        int.Parse(get("layers"), CultureInfo.InvariantCulture),
        float.Parse(get("dropout"), CultureInfo.InvariantCulture),
        get("tie_weights") == "true",
        Enum.Parse<RecurrentCell>(get("cell"), ignoreCase: true));

    private static Vocabulary? ReadVocabulary(string file, IReadOnlyDictionary<string, string> metadata, Model model)
    {
        if (!metadata.TryGetValue("vocabulary", out var words))
            return null;
        Vocabulary vocabulary;
        try
        {
            // The first format joined words with line ends; tokens are JSON strings now, so a character model may have "\n".
            var level = metadata.GetValueOrDefault("token_level") switch
            {
                null or "word" => TokenLevel.Word,
                "character" => TokenLevel.Character,
                var other => throw new JsonException($"token_level '{other}' is neither word nor character"),
            };
            vocabulary = new Vocabulary(metadata.GetValueOrDefault("format") == FormatV1
                ? words.Split('\n')
                : JsonSerializer.Deserialize(words, LstmJson.Default.StringArray) ?? throw new JsonException("null")) { Level = level };
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{file}: the vocabulary in the metadata is invalid ({e.Message}).", e);
        }
        if (model is Rnnlm lm && vocabulary.Count != lm.Config.VocabularySize)
            throw new InvalidDataException($"{file}: the vocabulary has {vocabulary.Count} words; the model has {lm.Config.VocabularySize} ids.");
        return vocabulary;
    }

    /// <summary>Every parameter from the tensor of its name (the optimizer's and the states' tensors aside); none missing, none extra.</summary>
    private static void CopyParameters(string file, IReadOnlyList<NamedTensor> tensors, Model model)
    {
        var byName = tensors
            .Where(t => !t.Name.StartsWith("optimizer.", StringComparison.Ordinal) && !t.Name.StartsWith("state.", StringComparison.Ordinal))
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
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
    }
}

/// <summary>The JSON form of a <see cref="TrainingPosition"/> (the recurrent state travels as tensors).</summary>
internal sealed record TrainingPositionJson(long Step, int Epoch, int Iteration, long BatchPosition, double BestValidationLoss,
    float LearningRate, long OptimizerSteps, uint[] RandomState, int BatchSize, int TimeSteps);
