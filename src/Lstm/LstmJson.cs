using System.Text.Json.Serialization;
using Lstm.Models;
using Lstm.Training;

namespace Lstm;

/// <summary>The JSON the library writes into checkpoints, generated at compile time (no reflection, so AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    RespectRequiredConstructorParameters = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RnnlmConfig))]
[JsonSerializable(typeof(Seq2seqConfig))]
[JsonSerializable(typeof(IO.TrainingPositionJson))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class LstmJson : JsonSerializerContext;
