using Lstm.Layers;
using Lstm.Training;

namespace Lstm.Tests.Training;

public class ExampleBatchesTests
{
    private const int T = 2;

    /// <summary>10 examples; example e has inputs [10e, 10e + 1] and target e.</summary>
    private static ExampleBatches Create(int batchSize, bool shuffle) => new(
        [.. Enumerable.Range(0, 10).SelectMany(e => new float[] { 10 * e, 10 * e + 1 })],
        [.. Enumerable.Range(0, 10).Select(e => (float)e)], count: 10, timeSteps: T, batchSize, shuffle, seed: 4);

    private static List<int> Epoch(ExampleBatches batches)
    {
        var inputs = new float[batches.InputLength];
        var targets = new float[batches.TargetLength];
        var seen = new List<int>();
        for (int b = 0; b < batches.BatchesPerEpoch; b++)
        {
            var shape = batches.Next(inputs, targets);
            for (int r = 0; r < shape.BatchSize; r++)
            {
                Assert.Equal(10 * targets[r], inputs[r * T]);
                Assert.Equal(10 * targets[r] + 1, inputs[r * T + 1]);
                seen.Add((int)targets[r]);
            }
        }
        return seen;
    }

    [Fact]
    public void Next_Shuffled_TakesWholeBatchesOfDistinctExamplesInANewOrderEachEpoch()
    {
        var batches = Create(batchSize: 3, shuffle: true);
        Assert.Equal(3, batches.BatchesPerEpoch); // ⌊10 / 3⌋: the book's max_iters
        var first = Epoch(batches);
        var second = Epoch(batches);
        Assert.Equal(9, first.Distinct().Count());
        Assert.Equal(9, second.Distinct().Count());
        Assert.NotEqual(first, second);
        Assert.Equal(first, Epoch(Create(batchSize: 3, shuffle: true))); // the same seed, the same order
    }

    [Fact]
    public void Position_SetBack_GivesTheSameBatchAgain()
    {
        var batches = Create(batchSize: 3, shuffle: true);
        var inputs = new float[batches.InputLength];
        var targets = new float[batches.TargetLength];
        for (int b = 0; b < 4; b++)
            batches.Next(inputs, targets);
        var fifth = new float[targets.Length];
        batches.Next(inputs, fifth);

        var resumed = Create(batchSize: 3, shuffle: true);
        resumed.Position = 4;
        resumed.Next(inputs, targets);
        Assert.Equal(fifth, targets);
    }

    [Fact]
    public void Next_NotShuffled_KeepsEveryExampleInOrder_TheLastBatchHoldingTheRest()
    {
        var batches = Create(batchSize: 4, shuffle: false);
        Assert.Equal(3, batches.BatchesPerEpoch);
        Assert.Equal(Enumerable.Range(0, 10), Epoch(batches));
        batches.Position = 2;
        Assert.Equal(new SequenceShape(2, T), batches.Next(new float[batches.InputLength], new float[batches.TargetLength]));
    }

    [Fact]
    public void Constructor_ArraysThatAreNotWholeExamples_NameTheArgument()
    {
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => new ExampleBatches(new float[7], new float[2], 2, 2, 1)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => new ExampleBatches(new float[8], new float[3], 2, 2, 1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentException>(() => new ExampleBatches(new float[8], new float[2], 2, 2, 3)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExampleBatches(new float[8], new float[2], 2, 2, 0));
    }
}
