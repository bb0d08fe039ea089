using Lstm.Training;

namespace Lstm.Tests.Training;

public class OptimizerTests
{
    // 19 values: the vector loop and the scalar tail both run.
    private const int Size = 19;

    private static (ParameterSet Set, double[] P) Parameters(int seed)
    {
        var set = new ParameterSet();
        set.Add("p", 1, Size);
        TestData.Uniform(new Random(seed), Size).CopyTo(set.Values, 0);
        return (set, [.. set.Values.Select(v => (double)v)]);
    }

    private static double[] Gradient(ParameterSet set, int seed)
    {
        TestData.Uniform(new Random(seed), Size).CopyTo(set.Gradients, 0);
        return [.. set.Gradients.Select(v => (double)v)];
    }

    private static void Near(double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Sgd_SubtractsTheScaledGradient()
    {
        var (set, p) = Parameters(1);
        var g = Gradient(set, 2);
        new Sgd(0.5f).Step(set);
        Near([.. p.Select((v, i) => v - 0.5 * g[i])], set.Values);
    }

    [Fact]
    public void Momentum_TwoSteps_FollowTheBooksFormula()
    {
        var (set, p) = Parameters(3);
        var optimizer = new Momentum(0.1f, 0.9f);
        var v = new double[Size];
        for (int step = 0; step < 2; step++)
        {
            var g = Gradient(set, 4 + step);
            optimizer.Step(set);
            for (int i = 0; i < Size; i++)
            {
                v[i] = 0.9 * v[i] - 0.1 * g[i]; // v ← μ·v − lr·g; p ← p + v
                p[i] += v[i];
            }
        }
        Near(p, set.Values);
        Assert.Equal(2, optimizer.Steps);
    }

    [Theory]
    [InlineData(0f)]     // Adam
    [InlineData(0.01f)]  // AdamW: decoupled weight decay first
    public void Adam_ThreeSteps_FollowTheFormula(float weightDecay)
    {
        var (set, p) = Parameters(5);
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
        Optimizer optimizer = weightDecay > 0 ? new AdamW(0.01f, weightDecay) : new Adam(0.01f);
        var m = new double[Size];
        var v = new double[Size];
        for (int t = 1; t <= 3; t++)
        {
            var g = Gradient(set, 6 + t);
            optimizer.Step(set);
            double lrT = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
            for (int i = 0; i < Size; i++)
            {
                p[i] -= lr * weightDecay * p[i];
                m[i] += (1 - b1) * (g[i] - m[i]);
                v[i] += (1 - b2) * (g[i] * g[i] - v[i]);
                p[i] -= lrT * m[i] / (Math.Sqrt(v[i]) + eps);
            }
        }
        Near(p, set.Values);
    }

    [Fact]
    public void LearningRate_NotPositive_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(float.NaN));
    }
}
