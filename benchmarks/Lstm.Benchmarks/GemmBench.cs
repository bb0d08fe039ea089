using BenchmarkDotNet.Attributes;
using Lstm.Kernels;

namespace Lstm.Benchmarks;

/// <summary>C = op(A)·op(B) on the products of the book's models; see benchmarks/README.md for the OpenBLAS comparison.</summary>
[MemoryDiagnoser]
public class GemmBench
{
    private float[] _a = [], _b = [], _c = [];

    /// <summary>The product to time.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = Shapes.First();

    /// <summary>Threads the product may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Square products and the book's workloads (W1 = Rnnlm H=100, W2 = BetterRnnlm H=650, W3 = LSTM layer N=32).</summary>
    public static IEnumerable<GemmShape> Shapes =>
    [
        new("sq1024", 1024, 1024, 1024),
        new("sq2048", 2048, 2048, 2048),
        new("W2 affine fwd", 700, 10000, 650),
        new("W2 affine dW", 650, 10000, 700, TransA: true),
        new("W2 affine dx", 700, 650, 10000, TransB: true),
        new("W1 affine fwd", 700, 10000, 100),
        new("W2 x-proj", 700, 2600, 650),
        new("W2 lstm step", 20, 2600, 650),
        new("W1 lstm step", 20, 400, 100),
        new("W3-512 step", 32, 2048, 512),
    ];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _a = Enumerable.Range(0, Shape.M * Shape.K).Select(_ => random.NextSingle()).ToArray();
        _b = Enumerable.Range(0, Shape.K * Shape.N).Select(_ => random.NextSingle()).ToArray();
        _c = new float[Shape.M * Shape.N];
    }

    /// <summary>One product.</summary>
    [Benchmark]
    public void MatMul()
    {
        var s = Shape;
        Gemm.MatMul(_a, s.TransA ? s.M : s.K, s.TransA ? Transpose.Yes : Transpose.No,
            _b, s.TransB ? s.K : s.N, s.TransB ? Transpose.Yes : Transpose.No,
            s.M, s.N, s.K, _c, s.N, new GemmOptions(Threads));
    }
}

/// <summary>A named product shape: op(A) is M×K, op(B) is K×N.</summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name} {M}x{K}*{K}x{N}{(TransA ? " At" : "")}{(TransB ? " Bt" : "")}";
}
