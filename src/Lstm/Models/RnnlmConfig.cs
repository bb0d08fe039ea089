using System.Text.Json;

namespace Lstm.Models;

/// <summary>The recurrent cell a language model stacks.</summary>
public enum RecurrentCell
{
    /// <summary><see cref="Layers.TimeLSTM"/>.</summary>
    Lstm,

    /// <summary><see cref="Layers.TimeRNN"/>, the plain RNN the book compares against.</summary>
    Rnn,

    /// <summary><see cref="Layers.TimeGRU"/>, PyTorch's GRU.</summary>
    Gru,
}

/// <summary>
/// The shape of an <see cref="Rnnlm"/>: Embedding(V, D) → [Dropout → recurrent layer (H)] × layers → Dropout →
/// Affine(H, V). The book's Rnnlm is (V, 100, 100, 1 layer, no dropout, untied); its BetterRnnlm is
/// (V, 650, 650, 2 layers, dropout 0.5, tied).
/// </summary>
/// <param name="VocabularySize">V, the number of distinct tokens.</param>
/// <param name="EmbeddingSize">D, the width of the embedding.</param>
/// <param name="HiddenSize">H, the width of each recurrent layer.</param>
/// <param name="Layers">How many recurrent layers are stacked.</param>
/// <param name="Dropout">Dropout ratio before and after each recurrent layer in training (0 for none).</param>
/// <param name="TieWeights">Whether the output affine uses the transposed embedding matrix (needs D = H).</param>
/// <param name="Cell">LSTM, GRU or plain RNN.</param>
public sealed record RnnlmConfig(
    int VocabularySize,
    int EmbeddingSize = 100,
    int HiddenSize = 100,
    int Layers = 1,
    float Dropout = 0f,
    bool TieWeights = false,
    RecurrentCell Cell = RecurrentCell.Lstm)
{
    /// <summary>The book's BetterRnnlm: D = H = 650, two layers, dropout 0.5, tied weights.</summary>
    public static RnnlmConfig Better(int vocabularySize, int size = 650, float dropout = 0.5f) =>
        new(vocabularySize, size, size, Layers: 2, Dropout: dropout, TieWeights: true);

    /// <summary>The number of parameter values the model has, counted without allocating them.</summary>
    /// <exception cref="ArgumentException">The configuration cannot be built (too large for one buffer included).</exception>
    public int CountParameters() => new Rnnlm(this, ParameterSet.Counting(), new RandomSource(0)).Parameters.Length;

    /// <summary>The configuration as JSON (snake_case names), as checkpoints store it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LstmJson.Default.RnnlmConfig);

    /// <summary>Reads a configuration written by <see cref="ToJson"/> and validates it.</summary>
    /// <exception cref="ArgumentException">The JSON is not a valid configuration.</exception>
    public static RnnlmConfig FromJson(string json)
    {
        var config = LstmJson.Read(json, LstmJson.Default.RnnlmConfig, "an Rnnlm configuration");
        config.Validate();
        return config;
    }

    /// <summary>Throws when the shape cannot be built.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the dropout ratio is outside [0, 1), or tied weights with D ≠ H.</exception>
    public void Validate()
    {
        if (VocabularySize < 1 || EmbeddingSize < 1 || HiddenSize < 1 || Layers < 1)
            throw new ArgumentException($"Sizes must be positive: V={VocabularySize}, D={EmbeddingSize}, H={HiddenSize}, layers={Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f))
            throw new ArgumentException($"The dropout ratio must be in [0, 1); got {Dropout}.");
        if (TieWeights && EmbeddingSize != HiddenSize)
            throw new ArgumentException($"Weight tying needs D = H (the affine weight is the transposed embedding); got D={EmbeddingSize}, H={HiddenSize}.");
    }
}
