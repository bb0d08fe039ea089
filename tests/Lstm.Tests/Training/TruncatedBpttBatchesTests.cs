using Lstm.Training;

namespace Lstm.Tests.Training;

public class TruncatedBpttBatchesTests
{
    [Fact]
    public void Next_FollowsTheBooksOffsetsAndGlobalTimeIndex()
    {
        // corpus = 100..110: xs = corpus[:-1] has 10 tokens, N = 2, T = 3, so jump = 5 and one iteration per epoch.
        int[] corpus = [.. Enumerable.Range(100, 11)];
        var batches = new TruncatedBpttBatches(corpus, batchSize: 2, timeSteps: 3);
        Assert.Equal(5, batches.Jump);
        Assert.Equal(1, batches.BatchesPerEpoch);
        var xs = new float[6];
        var ts = new float[6];

        batches.Next(xs, ts); // time index 0, 1, 2: row 0 from offset 0, row 1 from offset 5
        Assert.Equal([100, 101, 102, 105, 106, 107], xs);
        Assert.Equal([101, 102, 103, 106, 107, 108], ts);

        batches.Next(xs, ts); // time index 3, 4, 5: row 1 wraps at 10 back to xs[0]
        Assert.Equal([103, 104, 105, 108, 109, 100], xs);
        Assert.Equal([104, 105, 106, 109, 110, 101], ts);
        Assert.Equal(6, batches.TimeIndex);
        Assert.Equal(2, batches.Position);
    }

    [Fact]
    public void Constructor_CorpusShorterThanABatch_Throws()
    {
        Assert.Equal("corpus", Assert.Throws<ArgumentException>(() => new TruncatedBpttBatches([1, 2, 3], 2, 2)).ParamName);
    }
}
