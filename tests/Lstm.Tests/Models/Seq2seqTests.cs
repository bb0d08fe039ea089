using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Models;

public class Seq2seqTests
{
    private const int V = 7, Tq = 4, Ta = 3, N = 2;

    private static EncoderDecoder Create(Seq2seqKind kind)
    {
        var model = EncoderDecoder.Create(new Seq2seqConfig(V, 3, 5, kind), seed: 1);
        // Larger weights than the book's initialisation, so every path carries a gradient well above rounding.
        TestData.Uniform(new Random(2), model.Parameters.Values.Length, 0.6f).CopyTo(model.Parameters.Values, 0);
        return model;
    }

    private static readonly float[] Questions = [1, 4, 4, 0, 6, 2, 3, 5];
    private static readonly float[] Answers = [6, 2, 1, 6, 0, 3];

    [Theory]
    [InlineData(Seq2seqKind.Plain)]
    [InlineData(Seq2seqKind.Peeky)]
    [InlineData(Seq2seqKind.Attention)]
    public void Backward_WholeModel_MatchesFiniteDifferences(Seq2seqKind kind)
        => GradientAssert.Model(Create(kind), Questions, Answers, new SequenceShape(N, Tq));

    [Theory]
    [InlineData(Seq2seqKind.Plain)]
    [InlineData(Seq2seqKind.Attention)]
    public void BeamSearch_WidthOne_IsGreedyDecoding(Seq2seqKind kind)
    {
        var model = Create(kind);
        var greedy = model.Generate(Questions.AsSpan(0, Tq), new SequenceShape(1, Tq), startId: 6, length: 5);
        Assert.Equal(greedy, model.BeamSearch(Questions.AsSpan(0, Tq), startId: 6, length: 5, width: 1));
    }

    [Fact]
    public void BeamSearch_WiderBeam_FindsAnAnswerAtLeastAsLikelyAsGreedy()
    {
        var model = Create(Seq2seqKind.Peeky);
        var question = Questions[..Tq];
        double LogProbability(int[] answer)
        {
            float[] targets = [6, .. answer.Select(id => (float)id)];
            return -model.Forward(question, targets, new SequenceShape(1, Tq), training: false) * answer.Length;
        }
        var greedy = model.Generate(question, new SequenceShape(1, Tq), startId: 6, length: 4);
        var beam = model.BeamSearch(question, startId: 6, length: 4, width: 3);
        Assert.True(LogProbability(beam) >= LogProbability(greedy) - 1e-5, $"beam {LogProbability(beam)} < greedy {LogProbability(greedy)}");
    }

    [Fact]
    public void Attention_WeightsOfEachOutputStep_SumToOneOverTheInput()
    {
        var model = (AttentionSeq2seq)Create(Seq2seqKind.Attention);
        model.Generate(Questions, new SequenceShape(N, Tq), startId: 6, length: 1);
        var weights = model.AttentionWeights.ToArray();
        Assert.Equal(N * Tq, weights.Length);
        for (int n = 0; n < N; n++)
            Assert.Equal(1.0, weights.AsSpan(n * Tq, Tq).ToArray().Sum(), 1e-5);
    }

    [Fact]
    public void GenerateWithAttention_IsGreedyDecodingWithOneWeightRowPerOutput()
    {
        var model = (AttentionSeq2seq)Create(Seq2seqKind.Attention);
        var question = Questions.AsSpan(0, Tq);
        var (ids, weights) = model.GenerateWithAttention(question, startId: 6, length: 3);
        Assert.Equal(model.Generate(question, new SequenceShape(1, Tq), startId: 6, length: 3), ids);
        Assert.Equal(3 * Tq, weights.Length);
        for (int t = 0; t < 3; t++)
            Assert.Equal(1.0, weights.AsSpan(t * Tq, Tq).ToArray().Sum(), 1e-5);
    }

    [Fact]
    public void Train_ReversedCopyTask_LearnsItExactly()
    {
        // Answers are the questions reversed: a task the attention model learns in a few hundred steps.
        var data = new RandomSource(3);
        const int count = 600, q = 5, a = q + 1;
        var questions = new float[count * q];
        var answers = new float[count * a];
        for (int e = 0; e < count; e++)
        {
            answers[e * a] = 0; // the start symbol
            for (int t = 0; t < q; t++)
                answers[e * a + q - t] = questions[e * q + t] = 1 + data.NextInt(6);
        }
        var model = new AttentionSeq2seq(new Seq2seqConfig(7, 8, 32), seed: 4);
        var batches = new ExampleBatches(questions[..(500 * q)], answers[..(500 * a)], 500, q, batchSize: 20, seed: 5);
        new Trainer(model, new Adam(0.01f), new TrainerOptions(MaxGradNorm: 5f)).Fit(batches, epochs: 12);
        double accuracy = Evaluation.ExactMatch(model, questions[(500 * q)..], q, answers[(500 * a)..], a);
        Assert.True(accuracy > 0.9, $"exact-match accuracy {accuracy:P1}");
    }
}
