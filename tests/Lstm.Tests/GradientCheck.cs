namespace Lstm.Tests;

/// <summary>
/// Central finite differences against an analytic gradient, with the trick L = Σ out ⊙ dout for a random dout,
/// so a backward pass given dout returns ∂L/∂input directly.
/// </summary>
internal static class GradientCheck
{
    // Float forward passes: rounding noise in L is ~1e−6, so h = 1e−2 keeps the difference quotient within ~1e−4.
    private const float Step = 1e-2f;
    private const double AbsoluteTolerance = 1e-3, RelativeTolerance = 1e-2;

    /// <summary>Σ out ⊙ dout in double.</summary>
    public static double Dot(ReadOnlySpan<float> output, ReadOnlySpan<float> dout)
    {
        Assert.Equal(dout.Length, output.Length);
        double sum = 0;
        for (int i = 0; i < output.Length; i++)
            sum += (double)output[i] * dout[i];
        return sum;
    }

    /// <summary>
    /// The elements of <paramref name="values"/> whose numerical gradient of <paramref name="loss"/> disagrees with
    /// <paramref name="analytic"/>, as readable lines (empty when all agree).
    /// </summary>
    public static List<string> Mismatches(string name, Func<double> loss, Span<float> values, ReadOnlySpan<float> analytic)
    {
        Assert.Equal(values.Length, analytic.Length);
        var problems = new List<string>();
        for (int i = 0; i < values.Length; i++)
        {
            float saved = values[i];
            values[i] = saved + Step;
            double plus = loss();
            values[i] = saved - Step;
            double minus = loss();
            values[i] = saved;
            double numerical = (plus - minus) / (2 * Step);
            double error = Math.Abs(numerical - analytic[i]);
            if (!(error <= AbsoluteTolerance + RelativeTolerance * Math.Max(Math.Abs(numerical), Math.Abs(analytic[i]))))
                problems.Add($"{name}[{i}]: analytic {analytic[i]:G6}, numerical {numerical:G6}");
        }
        return problems;
    }

    /// <summary>
    /// Asserts that the analytic gradient matches, and that the same check rejects it once one element is off by
    /// an amount a wrong formula would produce: a check that cannot fail proves nothing.
    /// </summary>
    public static void AssertMatches(string name, Func<double> loss, Span<float> values, ReadOnlySpan<float> analytic)
    {
        var problems = Mismatches(name, loss, values, analytic);
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        var perturbed = analytic.ToArray();
        int worst = 0;
        for (int i = 1; i < perturbed.Length; i++)
        {
            if (Math.Abs(perturbed[i]) > Math.Abs(perturbed[worst]))
                worst = i;
        }
        perturbed[worst] += 0.05f + 0.1f * Math.Abs(perturbed[worst]);
        Assert.NotEmpty(Mismatches(name, loss, values, perturbed));
    }
}
