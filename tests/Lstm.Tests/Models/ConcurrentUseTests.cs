using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Tests.Models;

public sealed class ConcurrentUseTests
{
    /// <summary>A layer that holds the first call inside it until released, so a second caller meets a model in use.</summary>
    private sealed class Gate : ILayer
    {
        public readonly ManualResetEventSlim Entered = new(), Release = new();

        public IReadOnlyList<Parameter> Parameters => [];

        public int InputSize => 1;

        public int OutputSize => 1;

        public SequenceShape OutputShape(SequenceShape input) => input;

        public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training)
        {
            Entered.Set();
            Release.Wait();
            return xs;
        }

        public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys) => dys;
    }

    [Fact]
    public async Task ASecondThread_InsideACall_GetsAnError_AndTheFirstCallCompletes()
    {
        var gate = new Gate();
        var parameters = new ParameterSet();
        var model = new SequentialModel(new Sequential(gate), new TimeMeanSquaredError(), parameters, new RandomSource(1));
        var shape = new SequenceShape(1, 3);
        float[] xs = [1f, 2f, 3f];
        var first = Task.Run(() => model.Predict(xs, shape).ToArray(), TestContext.Current.CancellationToken);
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

        var e = Assert.Throws<InvalidOperationException>(() => model.Predict(xs, shape));
        Assert.Contains("another thread", e.Message);
        Assert.Throws<InvalidOperationException>(() => model.Forward(xs, xs, shape));
        Assert.Throws<InvalidOperationException>(() => model.ResetState());

        gate.Release.Set();
        Assert.Equal(xs, await first);
        Assert.Equal(xs, model.Predict(xs, shape).ToArray()); // free again once the call ended
    }

    [Fact]
    public void OverlappingDecodings_EitherGiveTheRightAnswerOrAreRefused()
    {
        var model = new AttentionSeq2seq(new Seq2seqConfig(VocabularySize: 7, EmbeddingSize: 4, HiddenSize: 16), seed: 1);
        float[] question = [1f, 2f, 3f, 4f, 5f, 6f];
        var expected = model.Generate(question, new SequenceShape(1, 6), startId: 0, length: 30);
        int wrong = 0, refused = 0, completed = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            try
            {
                var answer = model.Generate(question, new SequenceShape(1, 6), startId: 0, length: 30);
                Interlocked.Increment(ref completed);
                if (!answer.AsSpan().SequenceEqual(expected))
                    Interlocked.Increment(ref wrong);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref refused);
            }
        });
        Assert.Equal(0, wrong);
        Assert.Equal(400, completed + refused);
    }
}
