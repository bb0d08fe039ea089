using Lstm.Layers;

namespace Lstm.Models;

/// <summary>
/// A recurrent language model (the book's <c>Rnnlm</c> and <c>BetterRnnlm</c>): token ids xs [N,T] →
/// Embedding → [Dropout → TimeLSTM] × L → Dropout → Affine → scores [N,T,V] → SoftmaxWithLoss against ts [N,T].
/// </summary>
/// <remarks>
/// <para>Initialisation as in the book: embedding N(0,1)/100; Wx N(0,1)/√D; Wh N(0,1)/√H; biases 0; affine
/// N(0,1)/√H (the embedding itself when tied).</para>
/// <para>The recurrent layers are stateful: state carries from one call to the next until <see cref="ResetState"/>.
/// <see cref="Backward"/> adds into <see cref="Parameters"/>' gradients; clear them with
/// <see cref="ParameterSet.ZeroGrad"/>. No managed allocation per step once the buffers exist for a batch shape.</para>
/// </remarks>
public class Rnnlm
{
    private readonly TimeEmbedding _embedding;
    private readonly IRecurrentLayer[] _recurrent;
    private readonly TimeDropout[] _dropouts;
    private readonly TimeAffine _affine;
    private readonly TimeSoftmaxWithLoss _loss = new();
    private Memory<float> _dscores;
    private bool _hasGradient;

    /// <summary>Builds the model for <paramref name="config"/>, initialised from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">The configuration cannot be built (see <see cref="RnnlmConfig.Validate"/>).</exception>
    public Rnnlm(RnnlmConfig config, ulong seed = 0)
    {
        config.Validate();
        Config = config;
        Random = new RandomSource(seed);
        int V = config.VocabularySize, D = config.WordVecSize, H = config.HiddenSize;
        var set = Parameters = new ParameterSet();

        var embed = set.Add("embed.W", V, D);
        Random.FillGaussian(embed.Value, 0.01f);
        _embedding = new TimeEmbedding(embed);

        _recurrent = new IRecurrentLayer[config.Layers];
        int gates = config.Cell == RecurrentCell.Lstm ? 4 : 1;
        string prefix = config.Cell == RecurrentCell.Lstm ? "lstm" : "rnn";
        for (int l = 0; l < config.Layers; l++)
        {
            int input = l == 0 ? D : H;
            var wx = set.Add($"{prefix}{l}.Wx", input, gates * H);
            var wh = set.Add($"{prefix}{l}.Wh", H, gates * H);
            var b = set.Add($"{prefix}{l}.b", 1, gates * H);
            Random.FillGaussian(wx.Value, 1f / MathF.Sqrt(input));
            Random.FillGaussian(wh.Value, 1f / MathF.Sqrt(H));
            _recurrent[l] = config.Cell == RecurrentCell.Lstm
                ? new TimeLSTM(wx, wh, b, stateful: true)
                : new TimeRNN(wx, wh, b, stateful: true);
        }

        _dropouts = new TimeDropout[config.Dropout > 0 ? config.Layers + 1 : 0];
        for (int i = 0; i < _dropouts.Length; i++)
            _dropouts[i] = new TimeDropout(config.Dropout, Random);

        Parameter w;
        if (config.TieWeights)
        {
            w = embed;
        }
        else
        {
            w = set.Add("affine.W", H, V);
            Random.FillGaussian(w.Value, 1f / MathF.Sqrt(H));
        }
        _affine = new TimeAffine(w, set.Add("affine.b", 1, V), transposedWeight: config.TieWeights);
    }

    /// <summary>The model's shape.</summary>
    public RnnlmConfig Config { get; }

    /// <summary>Every parameter and gradient, in one flat buffer each.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The generator behind initialisation and dropout masks (its state is part of a resumable run).</summary>
    public RandomSource Random { get; }

    /// <summary>Scores for every position: xs [N,T] → [N,T,V] (dropout off), valid until the next call.</summary>
    /// <exception cref="ArgumentException">xs does not hold N·T ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public ReadOnlyMemory<float> Predict(ReadOnlySpan<int> xs, int batchSize, int timeSteps) => Scores(xs, batchSize, timeSteps, training: false);

    /// <summary>Mean cross-entropy of the next-token predictions: xs, ts [N,T] (ts may hold −1 for positions to ignore).</summary>
    /// <param name="xs">Input ids [N,T].</param>
    /// <param name="ts">Target ids [N,T].</param>
    /// <param name="batchSize">N.</param>
    /// <param name="timeSteps">T.</param>
    /// <param name="training">Dropout on (training) or off (evaluation).</param>
    /// <exception cref="ArgumentException">xs or ts does not hold N·T ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public float Forward(ReadOnlySpan<int> xs, ReadOnlySpan<int> ts, int batchSize, int timeSteps, bool training = true)
    {
        if (ts.Length != xs.Length)
            throw new ArgumentException($"ts has {ts.Length} ids; expected one per input ({xs.Length}).", nameof(ts));
        // The gradient overwrites the scores in place: one pass less over the largest buffer of the model.
        var scores = Scores(xs, batchSize, timeSteps, training).Span;
        _hasGradient = training;
        return _loss.Forward(scores, ts, training ? scores : default);
    }

    /// <summary>Backpropagates the last <see cref="Forward"/>, adding into every parameter's gradient.</summary>
    /// <exception cref="InvalidOperationException">No forward pass to go back through.</exception>
    public void Backward()
    {
        if (!_hasGradient)
            throw new InvalidOperationException("Backward needs a Forward in training mode first.");
        _hasGradient = false;
        var d = _affine.Backward(_dscores.Span);
        int drop = _dropouts.Length - 1;
        if (drop >= 0)
            d = _dropouts[drop--].Backward(d);
        for (int l = _recurrent.Length - 1; l >= 0; l--)
        {
            d = _recurrent[l].Backward(d);
            if (drop >= 0)
                d = _dropouts[drop--].Backward(d);
        }
        _embedding.Backward(d.Span);
    }

    /// <summary>A copy of every recurrent layer's carried state, for <see cref="RestoreState"/>.</summary>
    public float[][] SaveState() => [.. _recurrent.Select(layer => layer.SaveState())];

    /// <summary>Restores the states taken by <see cref="SaveState"/>.</summary>
    /// <exception cref="ArgumentException">The states do not fit this model.</exception>
    public void RestoreState(float[][] states)
    {
        if (states.Length != _recurrent.Length)
            throw new ArgumentException($"Expected the states of {_recurrent.Length} recurrent layers; got {states.Length}.", nameof(states));
        for (int l = 0; l < states.Length; l++)
            _recurrent[l].RestoreState(states[l]);
    }

    /// <summary>Forgets the state of every recurrent layer.</summary>
    public void ResetState()
    {
        foreach (var layer in _recurrent)
            layer.ResetState();
    }

    private Memory<float> Scores(ReadOnlySpan<int> xs, int batchSize, int timeSteps, bool training)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeSteps, 1);
        if (xs.Length != batchSize * timeSteps)
            throw new ArgumentException($"xs has {xs.Length} ids; expected N×T = {batchSize}×{timeSteps}.", nameof(xs));
        var x = _embedding.Forward(xs);
        int drop = 0;
        foreach (var layer in _recurrent)
        {
            if (_dropouts.Length > 0)
                x = _dropouts[drop++].Forward(x, training);
            x = layer.Forward(x, batchSize, timeSteps);
        }
        if (_dropouts.Length > 0)
            x = _dropouts[drop].Forward(x, training);
        return _dscores = _affine.Forward(x);
    }
}

/// <summary>The book's BetterRnnlm: D = H = 650, two LSTM layers, dropout 0.5, tied embedding and output weights.</summary>
public sealed class BetterRnnlm(int vocabularySize, int size = 650, float dropout = 0.5f, ulong seed = 0)
    : Rnnlm(RnnlmConfig.Better(vocabularySize, size, dropout), seed);
