using System.Globalization;
using System.Text.Json;
using Lstm.Data;
using Lstm.Kernels;
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
    /// <remarks>
    /// The file is checked before anything is built: the model its metadata describes must have exactly the file's
    /// tensors, by name and shape, and every value must be finite. The parameters are read straight into the model's
    /// buffer, which is not randomly initialised first; peak memory is about the model's size.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged, its kind of model is not one this library builds (load it with <see cref="LoadInto"/>), or its
    /// tensors do not fit the model it describes; the message names the tensor.
    /// </exception>
    public static (Model Model, Vocabulary? Vocabulary) Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var model = Build(file);
        var vocabulary = ReadVocabulary(file, model);
        ReadParameters(file, model, built: true);
        return (model, vocabulary);
    }

    /// <summary>
    /// Copies the parameters saved in <paramref name="path"/> into <paramref name="model"/>, by name, for a model that its
    /// own code builds; returns the vocabulary, when the file has one.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is damaged, a tensor is missing, extra, or of another shape than the parameter, or a value is not finite;
    /// the model is unchanged then, unless the file changed while it was read.
    /// </exception>
    public static Vocabulary? LoadInto(string path, Model model)
    {
        using var file = SafeTensorsFile.Open(path);
        var vocabulary = ReadVocabulary(file, model);
        ReadParameters(file, model, built: false);
        return vocabulary;
    }

    /// <summary>
    /// Loads a checkpoint saved with an optimizer and a position, restores <paramref name="optimizer"/>'s buffers, and
    /// returns the position to pass to <see cref="Trainer.Fit(IBatchSource, int, long, IBatchSource, TrainingPosition)"/>.
    /// The model is rebuilt from the file, or, for a model built in code, loaded into <paramref name="model"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file has no training state, was saved with another optimizer, or its state is damaged, incomplete or out of
    /// range (as <see cref="Load"/> for the model).
    /// </exception>
    public static (Model Model, Vocabulary? Vocabulary, TrainingPosition Position) LoadTraining(string path, Optimizer optimizer, Model? model = null)
    {
        using var file = SafeTensorsFile.Open(path);
        string name = file.FileName;
        var metadata = file.Metadata;
        if (!metadata.TryGetValue("training", out var training) || !metadata.TryGetValue("optimizer", out var optimizerName))
            throw new InvalidDataException($"{name}: no training state to resume from (saved without an optimizer).");
        if (metadata.GetValueOrDefault("format") != Format)
            throw new InvalidDataException($"{name}: written in the older format {FormatV1}; its model loads, but its training state cannot be resumed.");
        if (optimizerName != optimizer.GetType().Name)
            throw new InvalidDataException($"{name}: saved with the {optimizerName} optimizer; resuming needs the same, not {optimizer.GetType().Name}.");
        var json = ReadPosition(name, training);

        bool built = model is null;
        model ??= Build(file);
        var vocabulary = ReadVocabulary(file, model);
        var layers = model.RecurrentLayers;
        var stateTensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var optimizerTensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var tensor in file.Tensors)
        {
            if (tensor.Name.StartsWith("optimizer.", StringComparison.Ordinal))
            {
                string buffer = tensor.Name["optimizer.".Length..];
                if (!optimizer.StateNames.Contains(buffer))
                    throw new InvalidDataException($"{name}: tensor '{tensor.Name}' is not a buffer of the {optimizerName} optimizer.");
                if (tensor.Shape.Length != 1 || tensor.Count != model.Parameters.Length)
                    throw new InvalidDataException($"{name}: tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}]; the model has {model.Parameters.Length} parameters.");
                optimizerTensors.Add(buffer, tensor);
            }
            else if (tensor.Name.StartsWith("state.", StringComparison.Ordinal))
            {
                stateTensors.Add(tensor.Name, tensor);
            }
        }
        if (json.OptimizerSteps > 0 && optimizer.StateNames.FirstOrDefault(b => !optimizerTensors.ContainsKey(b)) is { } missing)
            throw new InvalidDataException($"{name}: tensor 'optimizer.{missing}' is missing; the {optimizerName} optimizer has taken {json.OptimizerSteps} steps.");

        // The recurrent states: h (and c for an LSTM) of N rows for each layer that carries one, nothing else.
        var states = new RecurrentState?[layers.Count];
        var stateShapes = new List<(SafeTensorInfo Tensor, float[] Values)>();
        for (int l = 0; l < layers.Count; l++)
        {
            if (!stateTensors.Remove($"state.{l}.h", out var h))
                continue;
            long size = (long)json.BatchSize * layers[l].HiddenSize;
            bool hasC = stateTensors.Remove($"state.{l}.c", out var c);
            foreach (var tensor in hasC ? [h, c!] : new[] { h })
            {
                if (tensor.Shape.Length != 1 || tensor.Count != size)
                    throw new InvalidDataException($"{name}: tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}]; layer {l} carries N·H = {json.BatchSize}·{layers[l].HiddenSize} values.");
            }
            if (layers[l] is TimeLSTM && !hasC)
                throw new InvalidDataException($"{name}: tensor 'state.{l}.c' is missing; layer {l} is an LSTM, whose state has c beside h.");
            var state = new RecurrentState(new float[h.Count], hasC ? new float[c!.Count] : []);
            stateShapes.Add((h, state.H));
            if (hasC)
                stateShapes.Add((c!, state.C));
            states[l] = state;
        }
        if (stateTensors.Count > 0)
            throw new InvalidDataException($"{name}: tensor '{stateTensors.Keys.First()}' is not the state of a layer of the model.");

        ReadParameters(file, model, built);
        foreach (var (buffer, tensor) in optimizerTensors)
            ReadFinite(file, tensor, optimizer.RestoreBuffer(buffer, (int)tensor.Count));
        foreach (var (tensor, values) in stateShapes)
            ReadFinite(file, tensor, values);
        var r = json.RandomState;
        var position = new TrainingPosition(json.Step, json.Epoch, json.Iteration, json.BatchPosition, json.BestValidationLoss,
            json.LearningRate, json.OptimizerSteps, (r[0], r[1], r[2], r[3]), states, new SequenceShape(json.BatchSize, json.TimeSteps));
        return (model, vocabulary, position);
    }

    /// <summary>The training position of the metadata, every field in range.</summary>
    private static TrainingPositionJson ReadPosition(string file, string training)
    {
        TrainingPositionJson? json;
        try
        {
            json = JsonSerializer.Deserialize(training, LstmJson.Default.TrainingPositionJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: the training state in the metadata is invalid ({e.Message}).", e);
        }
        string? problem = json switch
        {
            null => "it is null",
            { RandomState: not { Length: 4 } } => "no random state of four words",
            { RandomState: [0, 0, 0, 0] } => "the random state is all zeros",
            { Step: < 0 } or { OptimizerSteps: < 0 } or { BatchPosition: < 0 } or { Iteration: < 0 } => "a negative count",
            { Epoch: < 1 } => $"epoch {json.Epoch}; epochs count from 1",
            { BatchSize: < 1 } or { TimeSteps: < 1 } => $"batches of {json.BatchSize}×{json.TimeSteps}",
            _ when !(json.LearningRate > 0f && float.IsFinite(json.LearningRate)) => $"the learning rate {json.LearningRate}",
            _ when double.IsNaN(json.BestValidationLoss) || json.BestValidationLoss < 0 => $"the best validation loss {json.BestValidationLoss}",
            _ => null,
        };
        return problem is null ? json! : throw new InvalidDataException($"{file}: the training state in the metadata is invalid ({problem}).");
    }

    /// <summary>The model the metadata describes, its parameters not yet read or even allocated.</summary>
    private static Model Build(SafeTensorsFile file)
    {
        string name = file.FileName;
        var metadata = file.Metadata;
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{name}: metadata '{key}' is missing; not a checkpoint of this library ({Format}).");
        string format = Get("format");
        if (format != Format && format != FormatV1)
            throw new InvalidDataException($"{name}: format '{format}' is not {Format}.");

        // A configuration may describe any size: the set refuses more values than the file's parameter tensors hold
        // before it allocates anything, so a few bytes of metadata cannot claim gigabytes.
        long held = file.Tensors.Where(IsParameter).Sum(t => t.Count);
        var parameters = new ParameterSet(held, initialise: false);
        var random = new RandomSource(0);
        try
        {
            if (format == FormatV1)
                return new Rnnlm(ConfigV1(Get), parameters, random);
            return Get("kind") switch
            {
                "rnnlm" => new Rnnlm(RnnlmConfig.FromJson(Get("config")), parameters, random),
                "seq2seq" => EncoderDecoder.Create(Seq2seqConfig.FromJson(Get("config")), parameters, random),
                "" => throw new InvalidDataException($"{name}: the model was saved without a kind; build it in code and use Checkpoint.LoadInto."),
                var kind => throw new InvalidDataException($"{name}: model kind '{kind}' is not one this library builds; build it in code and use Checkpoint.LoadInto."),
            };
        }
        catch (ParameterLimitException e)
        {
            throw new InvalidDataException($"{name}: the configuration in the metadata describes a larger model than the file holds ({e.Message}).", e);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or JsonException)
        {
            throw new InvalidDataException($"{name}: the model configuration in the metadata is invalid ({e.Message}).", e);
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

    /// <summary>The number of ids the model reads and scores, for the models that have one.</summary>
    private static int? VocabularySize(Model model) => model switch
    {
        Rnnlm lm => lm.Config.VocabularySize,
        EncoderDecoder seq2seq => seq2seq.Config.VocabularySize,
        _ => null,
    };

    private static Vocabulary? ReadVocabulary(SafeTensorsFile file, Model model)
    {
        var metadata = file.Metadata;
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
            throw new InvalidDataException($"{file.FileName}: the vocabulary in the metadata is invalid ({e.Message}).", e);
        }
        if (VocabularySize(model) is { } size && vocabulary.Count != size)
            throw new InvalidDataException($"{file.FileName}: the vocabulary has {vocabulary.Count} words; the model has {size} ids.");
        return vocabulary;
    }

    private static bool IsParameter(SafeTensorInfo tensor) =>
        !tensor.Name.StartsWith("optimizer.", StringComparison.Ordinal) && !tensor.Name.StartsWith("state.", StringComparison.Ordinal);

    /// <summary>
    /// Every parameter from the tensor of its name (the optimizer's and the states' tensors aside); none missing, none
    /// extra, every shape checked before any value is read. <paramref name="built"/>: the model was built for this file.
    /// </summary>
    private static void ReadParameters(SafeTensorsFile file, Model model, bool built)
    {
        string name = file.FileName;
        var byName = file.Tensors.Where(IsParameter).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var pairs = new List<(Parameter, SafeTensorInfo)>();
        foreach (var parameter in model.Parameters.Parameters)
        {
            if (!byName.Remove(parameter.Name, out var tensor))
                throw new InvalidDataException($"{name}: tensor '{parameter.Name}' is missing.");
            int[] expected = parameter.Rows == 1 ? [parameter.Cols] : [parameter.Rows, parameter.Cols];
            if (!tensor.Shape.SequenceEqual(expected))
                throw new InvalidDataException($"{name}: tensor '{parameter.Name}' has shape [{string.Join(", ", tensor.Shape)}]; the model needs [{string.Join(", ", expected)}].");
            pairs.Add((parameter, tensor));
        }
        if (byName.Count > 0)
            throw new InvalidDataException($"{name}: tensor '{byName.Keys.First()}' is not part of the model.");

        // A model built here is read into directly; the caller's model through a scratch buffer, so a bad value leaves it unchanged.
        var values = model.Parameters.Values;
        var read = built ? values : new float[values.Length];
        foreach (var (parameter, tensor) in pairs)
            ReadFinite(file, tensor, read.AsSpan(parameter.Offset, parameter.Length));
        if (read != values)
            read.CopyTo(values, 0);
    }

    /// <summary>Reads a tensor and requires every value to be finite: a NaN or an infinity would only surface later, as a NaN loss.</summary>
    private static void ReadFinite(SafeTensorsFile file, SafeTensorInfo tensor, Span<float> destination)
    {
        file.Read(tensor, destination);
        int bad = Elementwise.IndexOfNonFinite(destination);
        if (bad >= 0)
            throw new InvalidDataException($"{file.FileName}: tensor '{tensor.Name}' has the non-finite value {destination[bad]} at index {bad}.");
    }
}

/// <summary>The JSON form of a <see cref="TrainingPosition"/> (the recurrent state travels as tensors).</summary>
internal sealed record TrainingPositionJson(long Step, int Epoch, int Iteration, long BatchPosition, double BestValidationLoss,
    float LearningRate, long OptimizerSteps, uint[] RandomState, int BatchSize, int TimeSteps);
