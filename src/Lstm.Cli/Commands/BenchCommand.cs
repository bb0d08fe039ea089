using System.CommandLine;
using System.Diagnostics;
using System.Numerics.Tensors;
using Lstm.Kernels;
using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Cli.Commands;

/// <summary><c>lstm bench ...</c>: throughput measurements, medians after warm-up.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Measure throughput (median of repeated runs after warm-up).")
    {
        CreateGemm(),
        CreateTrain(),
        CreateGenerate(),
    };

    private static Command CreateGenerate()
    {
        var threads = new Option<int>("--threads") { Description = "Threads (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
        var precision = OptionRules.PrecisionOption("Weights for generation: fp32, bf16 or int8 (per-row scales).");
        var seconds = new Option<double>("--seconds") { Description = "Measuring time.", DefaultValueFactory = _ => 5.0 }.Positive();
        var command = new Command("generate", "W4: greedy generation with the BetterRnnlm shape (V=10000, D=H=650, 2 layers, tied), one token at a time, in µs per token.")
        {
            threads, precision, seconds,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = OptionRules.Threads(r.GetValue(threads));
            var model = new Rnnlm(RnnlmConfig.Better(10_000), seed: 1);
            model.SetInferencePrecision(OptionRules.Precision(r.GetValue(precision)!));
            float[] id = [0f];
            var shape = new SequenceShape(1, 1);
            void Token() => id[0] = TensorPrimitives.IndexOfMax(model.Predict(id, shape).Span);
            double median = Median(Token, r.GetValue(seconds));
            Console.WriteLine($"generate W4 threads={Gemm.Threads} precision={r.GetValue(precision)}: {median * 1e6:F0} us/token");
            return 0;
        });
        return command;
    }

    private static Command CreateTrain()
    {
        var workload = new Option<string>("--workload")
        {
            Description = "W1 (Rnnlm V=10000 D=H=100 N=20 T=35), W2 (BetterRnnlm V=10000 D=H=650, 2 layers, dropout 0.5, tied, N=20 T=35), " +
                          "or W3-128 / W3-512 / W3-1024 (one LSTM layer, N=32 T=64 D=H=x, forward and backward).",
            Required = true,
        };
        workload.AcceptOnlyFromAmong("W1", "W2", "W3-128", "W3-512", "W3-1024");
        var threads = new Option<int>("--threads") { Description = "Threads (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
        var seconds = new Option<double>("--seconds") { Description = "Measuring time.", DefaultValueFactory = _ => 5.0 }.Positive();
        var padding = new Option<double>("--padding") { Description = "W3: the fraction of the batch that is padding, in [0, 0.5] (sequences of falling lengths); tokens/s counts real tokens.", DefaultValueFactory = _ => 0 }
            .Require(v => v >= 0 && v <= 0.5, "in [0, 0.5]");
        var command = new Command("train", "Training throughput in tokens/s on synthetic data (median time of one iteration after warm-up).")
        {
            workload, threads, seconds, padding,
        };
        command.SetAction(r =>
        {
            Gemm.Threads = OptionRules.Threads(r.GetValue(threads));
            var (step, tokens) = TrainWorkload.Create(r.GetValue(workload)!, r.GetValue(padding));
            double median = Median(step, r.GetValue(seconds));
            Console.WriteLine($"train {r.GetValue(workload)} threads={Gemm.Threads}: {median * 1e3:F1} ms/iteration  {tokens / median:F0} tokens/s");
            return 0;
        });
        return command;
    }

    private static Command CreateGemm()
    {
        var m = new Option<int>("--m") { Description = "Rows of op(A) and C.", Required = true }.AtLeast(1);
        var n = new Option<int>("--n") { Description = "Columns of op(B) and C.", Required = true }.AtLeast(1);
        var k = new Option<int>("--k") { Description = "Columns of op(A), rows of op(B).", Required = true }.AtLeast(1);
        var transA = new Option<bool>("--trans-a") { Description = "Use Aᵀ (A stored k×m)." };
        var transB = new Option<bool>("--trans-b") { Description = "Use Bᵀ (B stored n×k)." };
        var threads = new Option<int>("--threads") { Description = "Threads (default: processor count).", DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
        var path = new Option<GemmPath>("--path") { Description = "Micro-kernel path.", DefaultValueFactory = _ => GemmPath.Auto };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time.", DefaultValueFactory = _ => 1.0 }.Positive();
        var command = new Command("gemm", "C = op(A)·op(B) in GFLOP/s (2·m·n·k / median time).")
        {
            m, n, k, transA, transB, threads, path, seconds,
        };
        command.SetAction(r =>
        {
            if (!Gemm.IsAccelerated(r.GetValue(path)))
                throw new UsageException($"--path {r.GetValue(path)} is not accelerated on this machine (it would run emulated); use Auto or {Gemm.BestPath}.");
            var result = RunGemm(r.GetValue(m), r.GetValue(n), r.GetValue(k), r.GetValue(transA), r.GetValue(transB),
                new GemmOptions(r.GetValue(threads), r.GetValue(path)), r.GetValue(seconds));
            Console.WriteLine(result);
            return 0;
        });
        return command;
    }

    private static string RunGemm(int m, int n, int k, bool transA, bool transB, GemmOptions options, double seconds)
    {
        var random = new Random(1);
        var a = RandomArray(random, m * k);
        var b = RandomArray(random, k * n);
        var c = new float[m * n];
        var opA = transA ? Transpose.Yes : Transpose.No;
        var opB = transB ? Transpose.Yes : Transpose.No;
        int lda = transA ? m : k, ldb = transB ? k : n;
        void Once() => Gemm.MatMul(a, lda, opA, b, ldb, opB, m, n, k, c, n, options);

        double median = Median(Once, seconds);
        double gflops = 2.0 * m * n * k / median / 1e9;
        string path = options.Path == GemmPath.Auto ? Gemm.BestPath.ToString() : options.Path.ToString();
        return $"gemm m={m} n={n} k={k} trans-a={transA} trans-b={transB} threads={options.Threads} path={path}: " +
               $"{median * 1e6:F1} µs  {gflops:F1} GFLOP/s";
    }

    /// <summary>Median seconds of <paramref name="action"/> over about <paramref name="seconds"/> of repeats, after warm-up.</summary>
    internal static double Median(Action action, double seconds)
    {
        // Warm-up: at least three calls (buffers sized, code compiled) and a third of the time, up to 0.3 s.
        var watch = Stopwatch.StartNew();
        for (int calls = 0; calls < 3 || watch.Elapsed.TotalSeconds < Math.Min(0.3, seconds / 3); calls++)
            action();

        var times = new List<double>();
        watch.Restart();
        while (times.Count < 5 || (watch.Elapsed.TotalSeconds < seconds && times.Count < 100_000))
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static float[] RandomArray(Random random, int length)
    {
        var array = new float[length];
        for (int i = 0; i < array.Length; i++)
            array[i] = random.NextSingle();
        return array;
    }
}
