using BenchmarkDotNet.Attributes;
using Lstm.Cli.Commands;

namespace Lstm.Benchmarks;

/// <summary>
/// One training iteration (forward, backward, clipping, SGD step) of the book's models on synthetic data:
/// W1 = Rnnlm V=10000 D=H=100 N=20 T=35; W2 = BetterRnnlm V=10000 D=H=650, 2 layers, dropout 0.5, tied, N=20 T=35.
/// The allocation column shows 0 B: every buffer is sized once per batch shape.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class TrainStepBench
{
    private Action _step = () => { };

    /// <summary>The workload.</summary>
    [Params("W1", "W2")]
    public string Workload { get; set; } = "W1";

    [GlobalSetup]
    public void Setup() => (_step, _) = TrainWorkload.Create(Workload);

    /// <summary>One iteration (700 tokens).</summary>
    [Benchmark]
    public void Step() => _step();
}

/// <summary>The LSTM layer alone, forward and backward, N=32 T=64 D=H=x (W3-x).</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class TimeLstmBench
{
    private Action _step = () => { };

    /// <summary>The workload.</summary>
    [Params("W3-128", "W3-512", "W3-1024")]
    public string Workload { get; set; } = "W3-128";

    [GlobalSetup]
    public void Setup() => (_step, _) = TrainWorkload.Create(Workload);

    /// <summary>Forward and backward over 2,048 tokens.</summary>
    [Benchmark]
    public void ForwardBackward() => _step();
}
