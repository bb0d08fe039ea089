using System.CommandLine;
using System.Globalization;
using Lstm.Layers;

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

    /// <summary>
    /// A usage error when a run would not fit: a buffer of more values than one array holds, or more memory (parameters,
    /// their gradients and the optimizer's buffers, and the activations of one batch) than the machine has.
    /// </summary>
    /// <param name="countParameters">Counts the model's parameters (an <see cref="ArgumentException"/> when the sizes make it too large to build).</param>
    /// <param name="optimizerBuffers">Buffers the optimizer keeps per parameter (Adam 2, momentum 1, SGD 0).</param>
    /// <param name="rows">N·T: the rows of a batch.</param>
    /// <param name="perRow">The activation values kept per row for the backward pass.</param>
    /// <param name="widest">The widest single buffer per row (V scores, or the gates).</param>
    /// <param name="sizeFlags">The flags that set the model's size, and <paramref name="batchFlags"/> the batch's, as the user wrote them.</param>
    public static void RequireMemory(Func<int> countParameters, int optimizerBuffers, long rows, double perRow, long widest, string sizeFlags, string batchFlags)
    {
        int? parameters;
        try
        {
            parameters = countParameters();
        }
        catch (ArgumentException)
        {
            parameters = null; // too large to build
        }
        if (parameters is null)
            throw new UsageException($"{sizeFlags} make a model of more parameters than one array holds ({Array.MaxLength:N0}); choose smaller sizes.");
        if ((double)rows * widest > Array.MaxLength)
            throw new UsageException($"{batchFlags} make batches of {rows:N0} rows × {widest:N0} values, more than one array holds ({Array.MaxLength:N0}); choose a smaller batch.");
        double weights = 4.0 * parameters.Value * (2 + optimizerBuffers), activations = 4.0 * rows * perRow;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (weights + activations > 0.9 * available) // the rest for the runtime, the data and the file buffers
            throw new UsageException($"{sizeFlags}, {batchFlags} would need about {Gigabytes(weights + activations)} " +
                $"({Gigabytes(weights)} for {parameters.Value:N0} parameters with their gradients and optimizer state, {Gigabytes(activations)} of activations per batch); " +
                $"more than the {Gigabytes(0.9 * available)} a run can have here (90% of {Gigabytes(available)}).");
    }

    private static string Gigabytes(double bytes) => bytes >= 1e9 ? $"{bytes / 1e9:F1} GB" : $"{bytes / 1e6:F0} MB";

    private static readonly Dictionary<string, WeightPrecision> Precisions = new()
    {
        ["fp32"] = WeightPrecision.Float32,
        ["bf16"] = WeightPrecision.BFloat16,
        ["int8"] = WeightPrecision.Int8,
    };

    /// <summary><c>--precision fp32|bf16|int8</c>: the weights a model generates with.</summary>
    public static Option<string> PrecisionOption(string description)
    {
        var option = new Option<string>("--precision") { Description = description, DefaultValueFactory = _ => "fp32" };
        option.AcceptOnlyFromAmong([.. Precisions.Keys]);
        return option;
    }

    /// <summary>The precision a <see cref="PrecisionOption"/> value names.</summary>
    public static WeightPrecision Precision(string value) => Precisions[value];

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
