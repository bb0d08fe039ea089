namespace Lstm.Tests;

/// <summary>Seeded random inputs for tests.</summary>
internal static class TestData
{
    /// <summary>Uniform values in [−scale, scale).</summary>
    public static float[] Uniform(Random random, int length, float scale = 1f)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
            x[i] = (2f * random.NextSingle() - 1f) * scale;
        return x;
    }

    /// <summary>Σ a ⊙ b in double: L = Σ out ⊙ dout, whose gradient with respect to out is dout.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += (double)a[i] * b[i];
        return sum;
    }
}
