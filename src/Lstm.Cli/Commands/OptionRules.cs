using System.CommandLine;
using System.Globalization;

namespace Lstm.Cli.Commands;

/// <summary>A value the command line accepts but the run cannot use: a usage error (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Range checks on options, reported by System.CommandLine as parse errors: <c>--batch must be ≥ 1, got 0</c>.</summary>
internal static class OptionRules
{
    /// <summary>Requires <paramref name="valid"/> of the value given; <paramref name="expected"/> completes "must be …".</summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> valid, string expected)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0)
                return;
            var value = result.GetValueOrDefault<T>();
            if (!valid(value))
                result.AddError($"{option.Name} must be {expected}, got {result.Tokens[^1].Value}");
        });
        return option;
    }

    public static Option<int> AtLeast(this Option<int> option, int min) => option.Require(v => v >= min, $"≥ {min}");

    public static Option<int?> AtLeast(this Option<int?> option, int min) => option.Require(v => v is null || v >= min, $"≥ {min}");

    public static Option<long?> AtLeast(this Option<long?> option, long min) => option.Require(v => v is null || v >= min, $"≥ {min}");

    public static Option<float> AtLeast(this Option<float> option, float min) => option.Require(v => v >= min && float.IsFinite(v), $"a number ≥ {Invariant(min)}");

    public static Option<float?> AtLeast(this Option<float?> option, float min) => option.Require(v => v is null || (v >= min && float.IsFinite(v.Value)), $"a number ≥ {Invariant(min)}");

    public static Option<float?> Positive(this Option<float?> option) => option.Require(v => v is null || (v > 0f && float.IsFinite(v.Value)), "a positive number");

    public static Option<double> Positive(this Option<double> option) => option.Require(v => v > 0 && double.IsFinite(v), "a positive number");

    /// <summary>Threads for the matrix products: as asked, at most one per processor (more only wait for each other).</summary>
    public static int Threads(int requested) => Math.Min(requested, Environment.ProcessorCount);

    /// <summary>The processor's name, for the banners ("unknown" where the system does not say).</summary>
    public static string Processor()
    {
        const string info = "/proc/cpuinfo";
        var line = File.Exists(info) ? File.ReadLines(info).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string Invariant(float value) => value.ToString(CultureInfo.InvariantCulture);
}
