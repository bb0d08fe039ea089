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
}
