namespace Lstm;

/// <summary>
/// A small seeded random generator (xoshiro128**) whose whole state is four integers, so a training run can save
/// and restore it exactly. Used for initialisation, dropout masks and sampling.
/// </summary>
public sealed class RandomSource
{
    private uint _s0, _s1, _s2, _s3;

    /// <summary>A generator seeded from <paramref name="seed"/> (expanded with SplitMix64).</summary>
    public RandomSource(ulong seed)
    {
        ulong x = seed;
        _s0 = (uint)SplitMix(ref x);
        _s1 = (uint)SplitMix(ref x);
        _s2 = (uint)SplitMix(ref x);
        _s3 = (uint)SplitMix(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0)
            _s0 = 1;
    }

    /// <summary>The generator's state, to restore it later with <see cref="SetState"/>.</summary>
    public (uint, uint, uint, uint) State => (_s0, _s1, _s2, _s3);

    /// <summary>Restores a state taken from <see cref="State"/>.</summary>
    /// <exception cref="ArgumentException">The state is all zeros (not a reachable state).</exception>
    public void SetState((uint, uint, uint, uint) state)
    {
        if ((state.Item1 | state.Item2 | state.Item3 | state.Item4) == 0)
            throw new ArgumentException("The all-zero state is not a valid generator state.", nameof(state));
        (_s0, _s1, _s2, _s3) = state;
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt32()
    {
        uint result = uint.RotateLeft(_s1 * 5, 7) * 9;
        uint t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = uint.RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>Uniform in [0, 1), with 24 random bits.</summary>
    public float NextSingle() => (NextUInt32() >> 8) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        return (int)(((ulong)NextUInt32() * (uint)maxExclusive) >> 32);
    }

    /// <summary>Puts 0, 1, …, n − 1 into <paramref name="order"/> in a uniformly random order (Fisher–Yates, from the end).</summary>
    public void Permutation(Span<int> order)
    {
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>Standard normal N(0, 1), by the Box–Muller transform.</summary>
    public float NextGaussian()
    {
        double u1 = ((NextUInt32() >> 8) + 1.0) / (1 << 24); // (0, 1]: the logarithm stays finite
        double u2 = (NextUInt32() >> 8) / (double)(1 << 24);
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Fills <paramref name="values"/> with N(0, 1)·<paramref name="scale"/>.</summary>
    public void FillGaussian(Span<float> values, float scale)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = NextGaussian() * scale;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
