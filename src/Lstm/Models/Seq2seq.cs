using System.Numerics.Tensors;
using System.Text.Json;
using Lstm.Kernels;
using Lstm.Layers;

namespace Lstm.Models;

/// <summary>Which of the book's encoder–decoders (chapters 7–8).</summary>
public enum Seq2seqKind
{
    /// <summary><see cref="Seq2seq"/>: the encoder's last h starts the decoder.</summary>
    Plain,

    /// <summary><see cref="PeekySeq2seq"/>: the encoder's h also beside every decoder input and affine input.</summary>
    Peeky,

    /// <summary><see cref="AttentionSeq2seq"/>: dot-product attention over all encoder states.</summary>
    Attention,
}

/// <summary>
/// The shape of an encoder–decoder over one vocabulary of characters: Embedding(V, D) → TimeLSTM(H) on each side,
/// Affine → V at the decoder's end. The book's defaults: D = 16, H = 128 (256 for attention).
/// </summary>
/// <param name="VocabularySize">V.</param>
/// <param name="EmbeddingSize">D.</param>
/// <param name="HiddenSize">H.</param>
/// <param name="Kind">Plain, peeky or attention.</param>
/// <param name="ReverseInput">Read every question backwards (the book's trick, which shortens the path from the start
/// of the question to the start of the answer); the model does it, so the data stays as it is.</param>
/// <param name="QuestionLength">Tq of the training data (0: not recorded), so a question can be padded to it.</param>
/// <param name="AnswerLength">Ta of the training data, start symbol included (0: not recorded): the length to decode.</param>
public sealed record Seq2seqConfig(int VocabularySize, int EmbeddingSize = 16, int HiddenSize = 128, Seq2seqKind Kind = Seq2seqKind.Plain,
    bool ReverseInput = false, int QuestionLength = 0, int AnswerLength = 0)
{
    /// <summary>Throws when the shape cannot be built.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public void Validate()
    {
        if (VocabularySize < 1 || EmbeddingSize < 1 || HiddenSize < 1 || QuestionLength < 0 || AnswerLength < 0)
            throw new ArgumentException($"Sizes must be positive: V={VocabularySize}, D={EmbeddingSize}, H={HiddenSize}, Tq={QuestionLength}, Ta={AnswerLength}.");
    }

    /// <summary>The configuration as JSON, as checkpoints store it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, LstmJson.Default.Seq2seqConfig);

    /// <summary>The number of parameter values the model has, counted without allocating them.</summary>
    /// <exception cref="ArgumentException">The configuration cannot be built (too large for one buffer included).</exception>
    public int CountParameters() => EncoderDecoder.Create(this, ParameterSet.Counting(), new RandomSource(0)).Parameters.Length;

    /// <summary>Reads a configuration written by <see cref="ToJson"/> and validates it.</summary>
    /// <exception cref="ArgumentException">The JSON is not a valid configuration.</exception>
    public static Seq2seqConfig FromJson(string json)
    {
        var config = LstmJson.Read(json, LstmJson.Default.Seq2seqConfig, "a seq2seq configuration");
        config.Validate();
        return config;
    }
}

/// <summary>
/// An encoder–decoder (the book's chapters 7–8): questions xs [N,Tq] → the encoder → a decoder that reads answers
/// [N,Ta] one step behind (teacher forcing: decoder inputs ts[:, :−1], targets ts[:, 1:], the first answer
/// character being the start symbol) → mean cross-entropy. <see cref="Generate"/> decodes greedily, <see cref="BeamSearch"/>
/// keeps the K most likely answers.
/// </summary>
/// <remarks>
/// Inputs are the question ids [N,Tq] and targets the answer ids [N,Ta], as values. Decoding needs a start symbol and a
/// length, so answers come from <see cref="Generate"/> and <see cref="BeamSearch"/>, not <see cref="Model.Predict"/>. The
/// encoder is not stateful; the decoder's LSTM is, so that decoding one step at a time carries its state, and every
/// batch sets it from the encoder first.
/// </remarks>
public abstract class EncoderDecoder : Model
{
    private readonly TimeSoftmaxWithLoss _loss = new(overwriteScores: true);
    private float[] _decoderXs = [], _decoderTs = [], _one = [], _reversed = [];
    private int _answerSteps;
    private bool _hasGradient;

    private protected EncoderDecoder(Seq2seqConfig config, ParameterSet parameters, RandomSource random)
        : base(parameters, random)
    {
        config.Validate();
        Config = config;
        int V = config.VocabularySize, D = config.EmbeddingSize, H = config.HiddenSize;
        EncoderEmbedding = TimeEmbedding.Create(parameters, "encoder.embed", V, D, random);
        EncoderLstm = TimeLSTM.Create(parameters, "encoder.lstm", D, H, random, returnSequences: config.Kind == Seq2seqKind.Attention);
        DecoderEmbedding = TimeEmbedding.Create(parameters, "decoder.embed", V, D, random);
        int peek = config.Kind == Seq2seqKind.Peeky ? H : 0;
        DecoderLstm = TimeLSTM.Create(parameters, "decoder.lstm", D + peek, H, random, stateful: true);
        DecoderAffine = TimeAffine.Create(parameters, "decoder.affine", config.Kind == Seq2seqKind.Plain ? H : 2 * H, V, random);
        RecurrentLayers = [EncoderLstm, DecoderLstm];
    }

    /// <summary>The model <paramref name="config"/>'s kind names: <see cref="Seq2seq"/>, <see cref="PeekySeq2seq"/> or <see cref="AttentionSeq2seq"/>.</summary>
    /// <exception cref="ArgumentException">The configuration cannot be built.</exception>
    public static EncoderDecoder Create(Seq2seqConfig config, ulong seed = 0) => config.Kind switch
    {
        Seq2seqKind.Peeky => new PeekySeq2seq(config, seed),
        Seq2seqKind.Attention => new AttentionSeq2seq(config, seed),
        _ => new Seq2seq(config, seed),
    };

    /// <summary>As <see cref="Create(Seq2seqConfig, ulong)"/>, over the given parameter set and generator.</summary>
    internal static EncoderDecoder Create(Seq2seqConfig config, ParameterSet parameters, RandomSource random) => config.Kind switch
    {
        Seq2seqKind.Peeky => new PeekySeq2seq(config, parameters, random),
        Seq2seqKind.Attention => new AttentionSeq2seq(config, parameters, random),
        _ => new Seq2seq(config, parameters, random),
    };

    /// <summary>The model's shape.</summary>
    public Seq2seqConfig Config { get; }

    /// <summary>The encoder's embedding.</summary>
    public TimeEmbedding EncoderEmbedding { get; }

    /// <summary>The encoder's LSTM.</summary>
    public TimeLSTM EncoderLstm { get; }

    /// <summary>The decoder's embedding.</summary>
    public TimeEmbedding DecoderEmbedding { get; }

    /// <summary>The decoder's LSTM (stateful: decoding one step at a time carries its state).</summary>
    public TimeLSTM DecoderLstm { get; }

    /// <summary>The decoder's output affine map.</summary>
    public TimeAffine DecoderAffine { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<IRecurrentLayer> RecurrentLayers { get; }

    /// <summary>1: one question id per step.</summary>
    public override int InputSize => 1;

    /// <summary>V: scores over the next answer character.</summary>
    public override int OutputSize => Config.VocabularySize;

    /// <inheritdoc/>
    public override string Kind => "seq2seq";

    /// <inheritdoc/>
    public override string Configuration => Config.ToJson();

    /// <inheritdoc/>
    public override SequenceShape OutputShape(SequenceShape input) => input;

    /// <summary>Not for an encoder–decoder: answers need a start symbol and a length; use <see cref="Generate"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    protected override ReadOnlyMemory<float> OnPredict(ReadOnlyMemory<float> inputs, SequenceShape shape)
        => throw new NotSupportedException("An encoder–decoder decodes with Generate or BeamSearch, from a start symbol.");

    /// <inheritdoc/>
    protected override float OnForward(ReadOnlyMemory<float> inputs, ReadOnlyMemory<float> targets, SequenceShape shape, bool training)
    {
        _hasGradient = false;
        int N = shape.BatchSize;
        if (targets.Length % N != 0 || targets.Length / N < 2)
            throw new ArgumentException($"The answers hold {targets.Length} ids; expected N×Ta with Ta ≥ 2 (a start symbol and one character) for N = {N}.", nameof(targets));
        int Ta = targets.Length / N, steps = Ta - 1;
        var xs = Buffers.Ensure(ref _decoderXs, N * steps);
        var ts = Buffers.Ensure(ref _decoderTs, N * steps);
        var answers = targets.Span;
        for (int n = 0; n < N; n++)
        {
            answers.Slice(n * Ta, steps).CopyTo(xs.AsSpan(n * steps));
            answers.Slice(n * Ta + 1, steps).CopyTo(ts.AsSpan(n * steps));
        }
        var decoderShape = new SequenceShape(N, steps);
        Encode(inputs, shape, training);
        var scores = Decode(xs, decoderShape, training);
        float loss = _loss.Forward(scores, ts, decoderShape, training);
        (_answerSteps, _hasGradient) = (steps, training);
        return loss;
    }

    /// <inheritdoc/>
    protected override void OnBackward()
    {
        if (!_hasGradient)
            throw new InvalidOperationException("Backward needs a Forward in training mode first.");
        _hasGradient = false;
        EncoderEmbedding.Backward(EncoderLstm.Backward(BackwardDecoder(_loss.Backward())));
    }

    /// <summary>
    /// Greedy decoding: the encoder reads <paramref name="questions"/> [N,Tq]; the decoder starts from
    /// <paramref name="startId"/> and feeds back its most likely character <paramref name="length"/> times. Returns ids [N,length].
    /// </summary>
    public int[] Generate(ReadOnlySpan<float> questions, SequenceShape shape, int startId, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        using var use = Use();
        int N = shape.BatchSize, V = Config.VocabularySize;
        Encode(questions.ToArray(), shape, training: false);
        var x = Buffers.Ensure(ref _one, N);
        Array.Fill(x, startId);
        var ids = new int[N * length];
        var step = new SequenceShape(N, 1);
        for (int t = 0; t < length; t++)
        {
            var scores = Decode(x, step, training: false).Span;
            for (int n = 0; n < N; n++)
            {
                int id = TensorPrimitives.IndexOfMax(scores.Slice(n * V, V));
                ids[n * length + t] = id;
                x[n] = id;
            }
        }
        return ids;
    }

    /// <summary>
    /// Beam search for one question [Tq]: the <paramref name="width"/> most likely answers by summed log-probability,
    /// extended one character at a time for <paramref name="length"/> steps; returns the best. Width 1 is greedy decoding.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The width or the length is not positive.</exception>
    public int[] BeamSearch(ReadOnlySpan<float> question, int startId, int length, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        using var use = Use();
        int K = width, V = Config.VocabularySize, Tq = question.Length;
        // K copies of the question: every beam has the encoder's context, and the decoder runs the beams as one batch.
        var questions = new float[K * Tq];
        for (int k = 0; k < K; k++)
            question.CopyTo(questions.AsSpan(k * Tq));
        Encode(questions, new SequenceShape(K, Tq), training: false);
        var beams = new List<int>[K];
        var score = new double[K];
        for (int k = 0; k < K; k++)
            beams[k] = [];
        var x = new float[K];
        Array.Fill(x, startId);
        var logp = new float[V];
        for (int t = 0; t < length; t++)
        {
            var scores = Decode(x, new SequenceShape(K, 1), training: false).Span;
            var candidates = new List<(double Score, int Beam, int Id)>();
            // At the first step every beam is the same: expand one, or the beams would be K copies.
            for (int k = 0; k < (t == 0 ? 1 : K); k++)
            {
                var row = scores.Slice(k * V, V);
                float max = TensorPrimitives.Max(row);
                float sum = Elementwise.ExpShiftedSum(row, max, logp);
                double logSum = Math.Log(sum) + max;
                for (int v = 0; v < V; v++)
                    candidates.Add((score[k] + row[v] - logSum, k, v));
            }
            var best = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Beam).ThenBy(c => c.Id).Take(K).ToArray();
            var state = DecoderLstm.State!;
            var h = new float[state.H.Length];
            var c = new float[state.C.Length];
            int H = Config.HiddenSize;
            var next = new List<int>[K];
            for (int k = 0; k < K; k++)
            {
                var (s, parent, id) = best[Math.Min(k, best.Length - 1)];
                next[k] = [.. beams[parent], id];
                score[k] = s;
                x[k] = id;
                state.H.AsSpan(parent * H, H).CopyTo(h.AsSpan(k * H));
                state.C.AsSpan(parent * H, H).CopyTo(c.AsSpan(k * H));
            }
            beams = next;
            DecoderLstm.State = new RecurrentState(h, c);
        }
        return [.. beams[0]];
    }

    /// <summary>Runs the encoder on the questions xs [N,Tq] (reversed first, with <see cref="Seq2seqConfig.ReverseInput"/>) and starts the decoder from it.</summary>
    private protected void Encode(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        if (Config.ReverseInput)
        {
            var reversed = Buffers.Ensure(ref _reversed, xs.Length);
            xs.Span.CopyTo(reversed);
            for (int n = 0; n < shape.BatchSize; n++)
                reversed.AsSpan(n * shape.TimeSteps, shape.TimeSteps).Reverse();
            xs = reversed;
        }
        RunEncoder(xs, shape, training);
    }

    /// <summary>Runs the encoder on xs [N,Tq] and starts the decoder from it.</summary>
    private protected abstract void RunEncoder(ReadOnlyMemory<float> xs, SequenceShape shape, bool training);

    /// <summary>Decoder inputs [N,Td] → scores [N,Td,V], from the decoder's current state.</summary>
    private protected abstract ReadOnlyMemory<float> Decode(ReadOnlyMemory<float> xs, SequenceShape shape, bool training);

    /// <summary>Back through the decoder; returns the gradient of the encoder's output.</summary>
    private protected abstract ReadOnlyMemory<float> BackwardDecoder(ReadOnlyMemory<float> dscores);

    /// <summary>The encoder's output for the last <see cref="Encode"/>.</summary>
    private protected ReadOnlyMemory<float> EncoderOutput { get; set; }

    /// <summary>The shape of the last encoded batch.</summary>
    private protected SequenceShape EncoderShape { get; set; }

    /// <summary>The decoder's first h: the encoder's last h, and c = 0 (the book's <c>set_state(h)</c>).</summary>
    private protected void StartDecoder(ReadOnlySpan<float> lastH) => DecoderLstm.State = new RecurrentState(lastH.ToArray(), new float[lastH.Length]);

    /// <summary>Answer steps of the last training batch.</summary>
    private protected int AnswerSteps => _answerSteps;
}

/// <summary>
/// The book's <c>Seq2seq</c>: Embedding → TimeLSTM encodes the question, its last h starts a decoder
/// Embedding → TimeLSTM → Affine, and the gradient reaching that starting h is the encoder's output gradient.
/// </summary>
public sealed class Seq2seq : EncoderDecoder
{
    private readonly Sequential _decoder;

    /// <summary>Builds the model, initialised from <paramref name="seed"/> as the book's layers are.</summary>
    public Seq2seq(Seq2seqConfig config, ulong seed = 0)
        : this(config, new ParameterSet(), new RandomSource(seed))
    {
    }

    internal Seq2seq(Seq2seqConfig config, ParameterSet parameters, RandomSource random)
        : base(config with { Kind = Seq2seqKind.Plain }, parameters, random)
        => _decoder = new Sequential(DecoderEmbedding, DecoderLstm, DecoderAffine);

    private protected override void RunEncoder(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        var x = EncoderEmbedding.Forward(xs, shape, training);
        (EncoderOutput, EncoderShape) = (EncoderLstm.Forward(x, shape, training), shape);
        StartDecoder(EncoderOutput.Span);
    }

    private protected override ReadOnlyMemory<float> Decode(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
        => _decoder.Forward(xs, shape, training);

    private protected override ReadOnlyMemory<float> BackwardDecoder(ReadOnlyMemory<float> dscores)
    {
        _decoder.Backward(dscores);
        return DecoderLstm.StateGradient.H;
    }
}

/// <summary>
/// The book's <c>PeekySeq2seq</c>: as <see cref="Seq2seq"/>, and the encoder's h [N,H] also stands beside every
/// decoder input (the LSTM reads [embedding | h], D + H wide) and every affine input ([h_t | h], 2H wide); its
/// gradient gathers from all of those places and from the decoder's starting state.
/// </summary>
public sealed class PeekySeq2seq : EncoderDecoder
{
    private float[] _lstmIn = [], _affineIn = [], _dEmbed = [], _dLstmOut = [], _dh = [];

    /// <summary>Builds the model, initialised from <paramref name="seed"/> as the book's layers are.</summary>
    public PeekySeq2seq(Seq2seqConfig config, ulong seed = 0)
        : this(config, new ParameterSet(), new RandomSource(seed))
    {
    }

    internal PeekySeq2seq(Seq2seqConfig config, ParameterSet parameters, RandomSource random)
        : base(config with { Kind = Seq2seqKind.Peeky }, parameters, random)
    {
    }

    private protected override void RunEncoder(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        var x = EncoderEmbedding.Forward(xs, shape, training);
        (EncoderOutput, EncoderShape) = (EncoderLstm.Forward(x, shape, training), shape);
        StartDecoder(EncoderOutput.Span);
    }

    private protected override ReadOnlyMemory<float> Decode(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        int D = Config.EmbeddingSize, H = Config.HiddenSize, rows = shape.Rows;
        var h = EncoderOutput.Span;
        var embedded = DecoderEmbedding.Forward(xs, shape, training);
        var lstmIn = Buffers.Ensure(ref _lstmIn, rows * (D + H));
        Elementwise.ConcatColumns(embedded.Span, D, h, H, shape.TimeSteps, lstmIn);
        var hs = DecoderLstm.Forward(lstmIn, shape, training);
        var affineIn = Buffers.Ensure(ref _affineIn, rows * 2 * H);
        Elementwise.ConcatColumns(hs.Span, H, h, H, shape.TimeSteps, affineIn);
        return DecoderAffine.Forward(affineIn, shape, training);
    }

    private protected override ReadOnlyMemory<float> BackwardDecoder(ReadOnlyMemory<float> dscores)
    {
        int D = Config.EmbeddingSize, H = Config.HiddenSize, N = EncoderShape.BatchSize, T = AnswerSteps, rows = N * T;
        var dh = Buffers.Ensure(ref _dh, N * H);
        Array.Clear(dh);
        var dAffineIn = DecoderAffine.Backward(dscores);
        var dLstmOut = Buffers.Ensure(ref _dLstmOut, rows * H);
        Elementwise.SplitColumns(dAffineIn.Span, H, H, T, dLstmOut, dh);
        var dLstmIn = DecoderLstm.Backward(dLstmOut);
        var dEmbed = Buffers.Ensure(ref _dEmbed, rows * D);
        Elementwise.SplitColumns(dLstmIn.Span, D, H, T, dEmbed, dh);
        DecoderEmbedding.Backward(dEmbed);
        TensorPrimitives.Add(dh, DecoderLstm.StateGradient.H, dh);
        return dh;
    }
}

/// <summary>
/// The book's <c>AttentionSeq2seq</c>: the encoder returns every h [N,Tq,H]; its last h starts the decoder LSTM; each
/// decoder state attends over the encoder states (<see cref="TimeAttention"/>), and the affine reads
/// [context | decoder state], 2H wide. <see cref="AttentionWeights"/> keeps the weights of the last decoding.
/// </summary>
public sealed class AttentionSeq2seq : EncoderDecoder
{
    private readonly TimeAttention _attention = new();
    private float[] _affineIn = [], _dContexts = [], _dStates = [], _dhs = [];

    /// <summary>Builds the model, initialised from <paramref name="seed"/> as the book's layers are.</summary>
    public AttentionSeq2seq(Seq2seqConfig config, ulong seed = 0)
        : this(config, new ParameterSet(), new RandomSource(seed))
    {
    }

    internal AttentionSeq2seq(Seq2seqConfig config, ParameterSet parameters, RandomSource random)
        : base(config with { Kind = Seq2seqKind.Attention }, parameters, random)
    {
    }

    /// <summary>The attention weights [N,Td,Tq] of the last decoding step or batch: how much each output step read each input step.</summary>
    public ReadOnlySpan<float> AttentionWeights => _attention.Weights;

    /// <summary>
    /// Greedy decoding of one question [Tq] (as <see cref="EncoderDecoder.Generate"/>), with the attention weights of every
    /// output step: ids [length] and weights [length, Tq] over the question's characters in their own order, also when
    /// the model reads them reversed (the book's <c>visualize_attention</c>).
    /// </summary>
    public (int[] Ids, float[] Weights) GenerateWithAttention(ReadOnlySpan<float> question, int startId, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        using var use = Use();
        int Tq = question.Length, V = Config.VocabularySize;
        Encode(question.ToArray(), new SequenceShape(1, Tq), training: false);
        var ids = new int[length];
        var weights = new float[length * Tq];
        var x = new float[] { startId };
        for (int t = 0; t < length; t++)
        {
            var scores = Decode(x, new SequenceShape(1, 1), training: false).Span;
            ids[t] = TensorPrimitives.IndexOfMax(scores[..V]);
            x[0] = ids[t];
            var row = weights.AsSpan(t * Tq, Tq);
            _attention.Weights.CopyTo(row);
            if (Config.ReverseInput)
                row.Reverse();
        }
        ResetState();
        return (ids, weights);
    }

    private protected override void RunEncoder(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        int H = Config.HiddenSize, T = shape.TimeSteps;
        var x = EncoderEmbedding.Forward(xs, shape, training);
        (EncoderOutput, EncoderShape) = (EncoderLstm.Forward(x, shape, training), shape);
        var hs = EncoderOutput.Span;
        var last = new float[shape.BatchSize * H];
        for (int n = 0; n < shape.BatchSize; n++)
            hs.Slice((n * T + T - 1) * H, H).CopyTo(last.AsSpan(n * H));
        StartDecoder(last);
    }

    private protected override ReadOnlyMemory<float> Decode(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
    {
        int H = Config.HiddenSize, rows = shape.Rows;
        var embedded = DecoderEmbedding.Forward(xs, shape, training);
        var states = DecoderLstm.Forward(embedded, shape, training);
        var contexts = _attention.Forward(EncoderOutput, EncoderShape, states, shape.TimeSteps, H);
        var affineIn = Buffers.Ensure(ref _affineIn, rows * 2 * H);
        Elementwise.ConcatColumns(contexts.Span, H, states.Span, H, 1, affineIn);
        return DecoderAffine.Forward(affineIn, shape, training);
    }

    private protected override ReadOnlyMemory<float> BackwardDecoder(ReadOnlyMemory<float> dscores)
    {
        int H = Config.HiddenSize, N = EncoderShape.BatchSize, Ts = EncoderShape.TimeSteps, rows = N * AnswerSteps;
        var dAffineIn = DecoderAffine.Backward(dscores);
        var dContexts = Buffers.Ensure(ref _dContexts, rows * H);
        var dStates = Buffers.Ensure(ref _dStates, rows * H);
        Array.Clear(dStates);
        Elementwise.SplitColumns(dAffineIn.Span, H, H, 1, dContexts, dStates);
        var (dhsAttention, dStatesAttention) = _attention.Backward(dContexts);
        TensorPrimitives.Add(dStates, dStatesAttention.Span, dStates);
        DecoderEmbedding.Backward(DecoderLstm.Backward(dStates));

        // The encoder states' gradient: from the attention, and at the last step also from the decoder's starting h.
        var dhs = Buffers.Ensure(ref _dhs, N * Ts * H);
        dhsAttention.Span.CopyTo(dhs);
        var dh0 = DecoderLstm.StateGradient.H;
        for (int n = 0; n < N; n++)
        {
            var row = dhs.AsSpan((n * Ts + Ts - 1) * H, H);
            TensorPrimitives.Add(row, dh0.AsSpan(n * H, H), row);
        }
        return dhs;
    }
}
