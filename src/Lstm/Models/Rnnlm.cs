using Lstm.Layers;

namespace Lstm.Models;

/// <summary>
/// A recurrent language model (the book's <c>Rnnlm</c> and <c>BetterRnnlm</c>): token ids xs [N,T] →
/// Embedding → [Dropout → TimeLSTM (or TimeGRU, TimeRNN)] × L → Dropout → Affine → scores [N,T,V] → SoftmaxWithLoss against ts [N,T].
/// </summary>
/// <remarks>
/// <para>Initialisation as in the book: embedding N(0,1)/100; Wx N(0,1)/√D; Wh N(0,1)/√H; biases 0; affine
/// N(0,1)/√H (the embedding itself when tied). Parameters are named <c>embed.W</c>, <c>lstm{l}.Wx</c> (<c>rnn{l}</c>
/// for the plain RNN, <c>gru{l}</c> for the GRU, which adds <c>gru{l}.b_hn</c>), <c>lstm{l}.Wh</c>, <c>lstm{l}.b</c>,
/// <c>affine.W</c> (absent when tied), <c>affine.b</c>.</para>
/// <para>The recurrent layers are stateful: state carries from one call to the next until
/// <see cref="Model.ResetState"/>. No managed allocation per step once the buffers exist for a batch shape.</para>
/// </remarks>
public class Rnnlm : SequentialModel
{
    private float[] _xs = [], _ts = [];

    /// <summary>Builds the model for <paramref name="config"/>, initialised from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">The configuration cannot be built (see <see cref="RnnlmConfig.Validate"/>).</exception>
    public Rnnlm(RnnlmConfig config, ulong seed = 0)
        : this(config, new ParameterSet(), new RandomSource(seed))
    {
    }

    internal Rnnlm(RnnlmConfig config, ParameterSet parameters, RandomSource random)
        : base(Compose(config, parameters, random), new TimeSoftmaxWithLoss(overwriteScores: true), parameters, random)
    {
        Config = config;
        Embedding = (TimeEmbedding)Layers.Layers[0];
        Affine = (TimeAffine)Layers.Layers[^1];
    }

    /// <summary>The layers of <paramref name="config"/>, their parameters added to <paramref name="parameters"/> in the book's order.</summary>
    private static Sequential Compose(RnnlmConfig config, ParameterSet parameters, RandomSource random)
    {
        config.Validate();
        int V = config.VocabularySize, D = config.EmbeddingSize, H = config.HiddenSize;
        bool dropout = config.Dropout > 0f;
        var layers = new List<ILayer>();
        var embedding = TimeEmbedding.Create(parameters, "embed", V, D, random);
        layers.Add(embedding);
        for (int l = 0; l < config.Layers; l++)
        {
            int input = l == 0 ? D : H;
            if (dropout)
                layers.Add(new TimeDropout(config.Dropout, random, input));
            layers.Add(config.Cell switch
            {
                RecurrentCell.Rnn => TimeRNN.Create(parameters, $"rnn{l}", input, H, random, stateful: true),
                RecurrentCell.Gru => TimeGRU.Create(parameters, $"gru{l}", input, H, random, stateful: true),
                _ => TimeLSTM.Create(parameters, $"lstm{l}", input, H, random, stateful: true),
            });
        }
        if (dropout)
            layers.Add(new TimeDropout(config.Dropout, random, H));
        layers.Add(config.TieWeights
            ? new TimeAffine(embedding.W, parameters.Add("affine.b", 1, V), transposedWeight: true)
            : TimeAffine.Create(parameters, "affine", H, V, random));
        return new Sequential([.. layers]);
    }

    /// <summary>The model's shape.</summary>
    public RnnlmConfig Config { get; }

    /// <summary>The embedding, W [V,D].</summary>
    public TimeEmbedding Embedding { get; }

    /// <summary>The output affine map, W [H,V] (or the embedding's, when tied) and b [V].</summary>
    public TimeAffine Affine { get; }

    /// <inheritdoc/>
    public override string Kind => "rnnlm";

    /// <inheritdoc/>
    public override string Configuration => Config.ToJson();

    /// <summary>Scores for every position: xs [N,T] → [N,T,V] (dropout off), valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public ReadOnlyMemory<float> Predict(ReadOnlySpan<int> xs, int batchSize, int timeSteps)
        => Predict(Values(xs, ref _xs), new SequenceShape(batchSize, timeSteps));

    /// <summary>Mean cross-entropy of the next-token predictions: xs, ts [N,T] (ts may hold −1 for positions to ignore).</summary>
    /// <param name="xs">Input ids [N,T].</param>
    /// <param name="ts">Target ids [N,T].</param>
    /// <param name="batchSize">N.</param>
    /// <param name="timeSteps">T.</param>
    /// <param name="training">Dropout on (training) or off (evaluation).</param>
    /// <exception cref="ArgumentException">xs or ts does not hold N·T ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public float Forward(ReadOnlySpan<int> xs, ReadOnlySpan<int> ts, int batchSize, int timeSteps, bool training = true)
        => Forward(Values(xs, ref _xs), Values(ts, ref _ts), new SequenceShape(batchSize, timeSteps), training);

    private static float[] Values(ReadOnlySpan<int> ids, ref float[] buffer)
    {
        var values = Buffers.Ensure(ref buffer, ids.Length);
        for (int i = 0; i < ids.Length; i++)
            values[i] = ids[i];
        return values;
    }
}

/// <summary>The book's BetterRnnlm: D = H = 650, two LSTM layers, dropout 0.5, tied embedding and output weights.</summary>
public sealed class BetterRnnlm(int vocabularySize, int size = 650, float dropout = 0.5f, ulong seed = 0)
    : Rnnlm(RnnlmConfig.Better(vocabularySize, size, dropout), seed);
