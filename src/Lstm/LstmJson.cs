using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
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
internal sealed partial class LstmJson : JsonSerializerContext
{
    /// <summary>Reads a <typeparamref name="T"/> written with <paramref name="info"/>.</summary>
    /// <exception cref="ArgumentException">The JSON is not a <paramref name="what"/>.</exception>
    public static T Read<T>(string json, JsonTypeInfo<T> info, string what)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, info) ?? throw new ArgumentException($"Not {what}: null.", nameof(json));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Not {what}: {e.Message}", nameof(json), e);
        }
    }
}
